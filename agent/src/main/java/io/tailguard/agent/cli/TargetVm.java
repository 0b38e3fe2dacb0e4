package io.tailguard.agent.cli;

import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import com.sun.tools.attach.VirtualMachineDescriptor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Another JVM of this host, read through the JDK's attach API ({@code jdk.attach}): its system
 * properties (where a running agent publishes its status) and the options it was started with.
 * Only used after {@link Cli#canAttach()}: on a runtime without {@code jdk.attach} this class
 * cannot load.
 */
final class TargetVm {

    private TargetVm() {
    }

    /** What a JVM said about itself. */
    static final class Snapshot {
        final Properties system;
        final Properties agent;

        Snapshot(Properties system, Properties agent) {
            this.system = system;
            this.agent = agent;
        }
    }

    /** One JVM that {@link #list} found. */
    static final class Listed {
        final String pid;
        final String displayName;

        Listed(String pid, String displayName) {
            this.pid = pid;
            this.displayName = displayName;
        }
    }

    /** Attaches, reads the system and agent properties, and detaches. */
    static Snapshot read(String pid) throws AttachFailure {
        VirtualMachine vm;
        try {
            vm = VirtualMachine.attach(pid);
        } catch (AttachNotSupportedException e) {
            throw AttachFailure.notSupported(pid, e.getMessage());
        } catch (IOException e) {
            throw new AttachFailure("could not attach to process " + pid + ": " + e);
        }
        try {
            return new Snapshot(vm.getSystemProperties(), vm.getAgentProperties());
        } catch (IOException e) {
            throw new AttachFailure("attached to process " + pid + " but could not read its properties: " + e);
        } finally {
            try {
                vm.detach();
            } catch (IOException ignored) {
                // the connection is gone either way
            }
        }
    }

    /**
     * The JVMs the attach API can see: those of this user (all users' for root) in this
     * container, started without {@code -XX:+DisableAttachMechanism} or {@code -XX:-UsePerfData}.
     */
    static List<Listed> list() {
        List<Listed> found = new ArrayList<>();
        for (VirtualMachineDescriptor vm : VirtualMachine.list()) {
            found.add(new Listed(vm.id(), vm.displayName()));
        }
        return found;
    }
}
