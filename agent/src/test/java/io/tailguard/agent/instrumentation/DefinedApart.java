package io.tailguard.agent.instrumentation;

/**
 * A rewritten class defined in a class loader of its own, which asks the test's loader for every
 * other class, and initialised: the JVM links it first, so HotSpot's verifier checks its code
 * (the moved jumps, the stack map frames, the stack the added code uses) as it would the class
 * the agent hands back.
 */
public final class DefinedApart {

    private DefinedApart() {
    }

    /** The class named {@code binaryName}, defined from {@code classFile} in a loader of its own. */
    public static Class<?> define(String binaryName, byte[] classFile) throws ClassNotFoundException {
        ClassLoader loader = new ClassLoader(DefinedApart.class.getClassLoader()) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                if (name.equals(binaryName)) {
                    synchronized (getClassLoadingLock(name)) {
                        Class<?> done = findLoadedClass(name);
                        return done != null ? done : defineClass(name, classFile, 0, classFile.length);
                    }
                }
                return super.loadClass(name, resolve);
            }
        };
        return Class.forName(binaryName, true, loader);
    }
}
