package io.tailguard.agent.cli;

import io.tailguard.agent.AgentStatus;
import io.tailguard.agent.config.InvalidConfigException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Optional;
import net.bytebuddy.agent.ByteBuddyAgent;

/**
 * {@code attach <pid> [config-file | --off]}: loads this jar into a running JVM through
 * byte-buddy-agent, which uses the JDK's {@code jdk.attach}. The agent's {@code agentmain} installs
 * Tailguard there, or, where it already runs, replaces its configuration (or, with {@code --off},
 * makes every hook pass-through). Before and after, the target's system properties say which Java
 * it runs and what the agent reports about itself ({@link AgentStatus#PROPERTY}).
 */
final class AttachCommand {

    static final String OFF = "--off";
    private static final int MIN_JAVA = 11;
    /** The first Java that warns about agents loaded into a running JVM (JEP 451). */
    private static final int WARNS_FROM = 21;

    private final PrintStream out;
    private final PrintStream err;

    AttachCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(String[] args) {
        if (args.length < 1 || args.length > 2 || !args[0].matches("[0-9]{1,18}")) {
            err.println("usage: java -jar tailguard-agent.jar attach <pid> [config-file | --off]");
            return Cli.USAGE;
        }
        String pid = args[0];
        boolean off = args.length == 2 && OFF.equals(args[1]);
        String file = null;
        if (args.length == 2 && !off) {
            // The target resolves a relative path against its own working directory, not ours.
            file = Paths.get(args[1]).toAbsolutePath().normalize().toString();
            try {
                CheckCommand.fileAlone(file).load();
            } catch (InvalidConfigException invalid) {
                err.println(invalid.getMessage());
                err.println("Nothing was attached. (" + CheckCommand.FILE_ALONE + ")");
                return Cli.USAGE;
            }
        }
        try {
            return attach(pid, file, off);
        } catch (AttachFailure failure) {
            err.println("tailguard attach: " + failure.getMessage());
            return Cli.FAILED;
        }
    }

    private int attach(String pid, String file, boolean off) throws AttachFailure {
        Path jar = Cli.agentJar();
        if (jar == null) {
            throw new AttachFailure("this command must run from the agent jar: java -jar tailguard-agent.jar attach ...");
        }
        checkProcess(pid);
        if (!AttachReadiness.ready(pid)) {
            throw new AttachFailure("process " + pid + " does not handle SIGQUIT, which attaching would send it, and "
                    + "would be terminated by it: it is still starting (try again in a moment), runs with -Xrs, or is "
                    + "not a Java process.");
        }
        if (!Cli.canAttach()) {
            throw new AttachFailure(Cli.NO_ATTACH);
        }
        TargetVm.Snapshot before = TargetVm.read(pid);
        String java = before.system.getProperty("java.version", "?");
        int feature = featureVersion(before.system.getProperty("java.specification.version"));
        if (feature < MIN_JAVA) {
            throw new AttachFailure("process " + pid + " runs Java " + java + "; Tailguard needs Java " + MIN_JAVA
                    + " or newer.");
        }
        StatusLine running = StatusLine.parse(before.system.getProperty(AgentStatus.PROPERTY));
        String what = describe(pid, before, java);
        if (off && running == null) {
            out.println("Tailguard does not run in " + what + ": nothing to turn off.");
            return Cli.OK;
        }
        if (running != null) {
            out.println("Tailguard already runs in " + what + " (" + running.field("state") + ", config "
                    + running.field("config") + "): " + (off ? "turning it off." : "replacing its configuration."));
        } else {
            out.println("Loading Tailguard into " + what + ".");
        }
        if (feature >= WARNS_FROM && !before.agent.getProperty("sun.jvm.args", "").contains(
                "-XX:+EnableDynamicAgentLoading")) {
            out.println("Note: Java " + WARNS_FROM + "+ logs a warning in that process about an agent loaded into a "
                    + "running JVM (JEP 451) unless it runs with -XX:+EnableDynamicAgentLoading.");
        }
        try {
            ByteBuddyAgent.attach(jar.toFile(), pid, off ? OFF : file);
        } catch (RuntimeException | LinkageError failure) {
            throw AttachFailure.fromLoad(pid, failure);
        }
        StatusLine status = StatusLine.parse(TargetVm.read(pid).system.getProperty(AgentStatus.PROPERTY));
        if (status == null) {
            throw new AttachFailure("the agent was loaded into process " + pid + " but did not start; its reason is in "
                    + "that process's log (stderr), on lines starting with [tailguard].");
        }
        verifyTaken(pid, file, off, status);
        report(pid, file, off, running != null, status);
        return Cli.OK;
    }

    /** Fails unless the agent reports what was asked of it. */
    private static void verifyTaken(String pid, String file, boolean off, StatusLine status) throws AttachFailure {
        String state = status.field("state");
        if (off && !state.startsWith("off")) {
            throw new AttachFailure("the agent in process " + pid + " did not turn off: it reports state " + state
                    + ", config " + status.field("config") + ". Its log (stderr) may say why.");
        }
        if (!off && file != null && !file.equals(status.field("config"))) {
            throw new AttachFailure("the agent in process " + pid + " did not take " + file + ": it reports config "
                    + status.field("config") + ", state " + state + ". Its log (stderr) says why, on lines starting "
                    + "with [tailguard].");
        }
        if (!off && state.startsWith("pass-through")) {
            throw new AttachFailure("Tailguard is loaded in process " + pid + " but runs pass-through: its "
                    + "configuration, with the process's own TAILGUARD_* variables and -Dtailguard.* properties, is "
                    + "invalid. Its log (stderr) names the problems; a corrected file is picked up by hot reload.");
        }
    }

    private void report(String pid, String file, boolean off, boolean replaced, StatusLine status) {
        out.println((off ? "Turned off Tailguard in process " : replaced
                ? "Replaced the configuration of Tailguard in process " : "Attached Tailguard to process ") + pid + ".");
        out.println("  configuration: " + (off ? "off: every hook passes requests through (attach again with a "
                + "configuration file to turn it back on)" : file != null ? file
                : "none given: the process's -Dtailguard.config or TAILGUARD_CONFIG if set, else no policies"));
        out.println("  agent reports: Tailguard " + status.field("version") + ", state " + status.field("state")
                + ", config " + status.field("config"));
        out.println("  clients:");
        for (String client : status.clients()) {
            out.println("    " + client);
        }
    }

    /** Fails early, with a clear reason, where the JVM's attach would fail or wait for seconds. */
    private static void checkProcess(String pid) throws AttachFailure {
        long id = Long.parseLong(pid);
        if (id == ProcessHandle.current().pid()) {
            throw new AttachFailure("process " + pid + " is this command itself.");
        }
        Optional<ProcessHandle> process = ProcessHandle.of(id);
        if (!process.isPresent() || !process.get().isAlive()) {
            throw new AttachFailure("there is no process " + pid + " (on this host, in this container).");
        }
        String me = System.getProperty("user.name");
        Optional<String> owner = process.get().info().user();
        // A JVM accepts attach only from its own user, or root.
        if (owner.isPresent() && !owner.get().equals(me) && !"root".equals(me)) {
            throw new AttachFailure("process " + pid + " runs as user " + owner.get() + " and this command as " + me
                    + "; a JVM accepts attach only from its own user (or root). Run it as " + owner.get()
                    + ", e.g. sudo -u " + owner.get() + " java -jar tailguard-agent.jar attach ...");
        }
    }

    private static String describe(String pid, TargetVm.Snapshot vm, String java) {
        String command = vm.system.getProperty("sun.java.command", "");
        int space = command.indexOf(' ');
        String main = space < 0 ? command : command.substring(0, space);
        return "process " + pid + " (Java " + java + (main.isEmpty() ? "" : ", " + main) + ")";
    }

    /** 8 for "1.8", 17 for "17"; 0 when unknown. */
    static int featureVersion(String specification) {
        if (specification == null) {
            return 0;
        }
        String s = specification.startsWith("1.") ? specification.substring(2) : specification;
        int dot = s.indexOf('.');
        try {
            return Integer.parseInt(dot < 0 ? s : s.substring(0, dot));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
