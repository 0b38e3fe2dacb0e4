package io.tailguard.agent.cli;

import io.tailguard.agent.AgentStatus;
import java.io.PrintStream;
import java.util.List;

/**
 * {@code list}: the JVMs of this host that {@code attach} can reach, each with its Java version
 * and whether Tailguard runs in it (the status its agent publishes). A JVM that cannot be read
 * (it exited, or does not answer) is listed with the reason and does not stop the listing.
 */
final class ListCommand {

    private static final int MAX_NAME = 100;

    private ListCommand() {
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length != 0) {
            err.println("usage: java -jar tailguard-agent.jar list");
            return Cli.USAGE;
        }
        if (!Cli.canAttach()) {
            err.println("tailguard list: " + Cli.NO_ATTACH);
            return Cli.FAILED;
        }
        String self = Long.toString(ProcessHandle.current().pid());
        List<TargetVm.Listed> vms = TargetVm.list();
        int shown = 0;
        for (TargetVm.Listed vm : vms) {
            if (vm.pid.equals(self)) {
                continue;
            }
            String name = vm.displayName.length() > MAX_NAME ? vm.displayName.substring(0, MAX_NAME) + "..."
                    : vm.displayName;
            String state;
            if (!AttachReadiness.ready(vm.pid)) {
                out.println(vm.pid + "  (not ready for attach: still starting, or started with -Xrs)  " + name);
                shown++;
                continue;
            }
            try {
                TargetVm.Snapshot snapshot = TargetVm.read(vm.pid);
                StatusLine status = StatusLine.parse(snapshot.system.getProperty(AgentStatus.PROPERTY));
                state = "Java " + snapshot.system.getProperty("java.version", "?") + "  "
                        + (status == null ? "no Tailguard" : status.summary());
            } catch (AttachFailure | RuntimeException failure) {
                state = "(cannot read: " + failure.getMessage() + ")";
            }
            out.println(vm.pid + "  " + state + "  " + name);
            shown++;
        }
        if (shown == 0) {
            out.println("No other JVM found that this user can attach to (JVMs of other users, of other containers, "
                    + "or started with -XX:+DisableAttachMechanism or -XX:-UsePerfData are not listed).");
        }
        return Cli.OK;
    }
}
