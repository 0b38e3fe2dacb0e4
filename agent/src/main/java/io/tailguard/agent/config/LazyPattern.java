package io.tailguard.agent.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A regular expression compiled when it is first used, not when the class holding it loads: the
 * configuration is parsed in premain, on the application's startup path, and each pattern costs
 * about a millisecond to compile there while most configurations never use most of them (a
 * duration, a byte size, a percentile). Two threads may both compile it; either result serves.
 */
final class LazyPattern {

    private final String regex;
    private volatile Pattern compiled;

    LazyPattern(String regex) {
        this.regex = regex;
    }

    Matcher matcher(CharSequence input) {
        Pattern pattern = compiled;
        if (pattern == null) {
            pattern = Pattern.compile(regex);
            compiled = pattern;
        }
        return pattern.matcher(input);
    }
}
