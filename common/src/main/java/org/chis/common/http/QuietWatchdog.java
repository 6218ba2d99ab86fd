package org.chis.common.http;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import okio.AsyncTimeout;

/**
 * Keeps Okio's timeout watchdog asleep between upstream calls. OkHttp puts every socket read and write under an
 * Okio {@link AsyncTimeout} (the read and write timeouts), and Okio wakes its one "Okio Watchdog" thread whenever a
 * timeout becomes the earliest of its queue: on a quiet queue that is every read and every write, about 4 wake-ups
 * per call (0.67 ms of the watchdog's CPU per 13-call form). This timeout sits at the head of that queue with a
 * deadline shorter than any call's (1 s), so the calls' timeouts line up behind it without waking anyone; it re-arms
 * itself each time it fires. A call timeout under 1 s still goes first and wakes the watchdog as before, so every
 * timeout fires exactly when it did.
 */
final class QuietWatchdog extends AsyncTimeout {
    private static final AtomicBoolean armed = new AtomicBoolean();

    private QuietWatchdog() {
        timeout(1, TimeUnit.SECONDS);
    }

    /** Puts the sentinel in Okio's queue, once per JVM. */
    static void arm() {
        if (armed.compareAndSet(false, true)) new QuietWatchdog().enter();
    }

    @Override
    protected void timedOut() {
        // called on the watchdog thread once the sentinel left the queue: balance its enter, then go back in
        exit();
        enter();
    }
}
