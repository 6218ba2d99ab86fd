package org.chis.mediator.commcareopenmrs.feeds;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Runs a batch's entries in lanes: one lane per patient, whose entries run strictly one after the other in the order
 * they were added; different lanes run in parallel on the lane pool ({@code feeds.parallelism} threads). An entry
 * joins its lane only once {@code window} later entries were added (or at {@link #finish}): its lane may only be known
 * from a resource still being read (an encounter's patient), and waiting for each read in turn would pace the whole
 * feed at one read at a time. Entries are added by one thread; {@code step} runs on the pool and answers a future that
 * completes when the entry is done (e.g. committed): the lane's next entry starts then, while the thread goes on with
 * other lanes.
 *
 * @param <T> an entry of the batch
 */
final class Lanes<T> {
    private final Executor pool;
    private final int window;
    private final Function<T, String> laneOf;
    private final BiFunction<T, T, CompletableFuture<T>> step;
    private final ArrayDeque<T> unrouted = new ArrayDeque<>();
    private final Map<String, CompletableFuture<T>> lanes = new HashMap<>();
    private final List<CompletableFuture<T>> running = new ArrayList<>();

    /**
     * @param laneOf the entry's lane (its patient), asked when it joins a lane
     * @param step   runs one entry given the entry before it in its lane (null for the first) once that one is done,
     *               and answers the entry once it is done; it should not throw
     */
    Lanes(Executor pool, int window, Function<T, String> laneOf, BiFunction<T, T, CompletableFuture<T>> step) {
        this.pool = pool;
        this.window = window;
        this.laneOf = laneOf;
        this.step = step;
    }

    void add(T entry) {
        unrouted.add(entry);
        while (unrouted.size() > window) route(unrouted.poll());
    }

    private void route(T entry) {
        String lane = laneOf.apply(entry);
        CompletableFuture<T> before = lanes.get(lane);
        CompletableFuture<T> run = before == null
                ? CompletableFuture.supplyAsync(() -> step.apply(entry, null), pool).thenCompose(done -> done)
                : before.thenComposeAsync(b -> step.apply(entry, b), pool);
        lanes.put(lane, run);
        running.add(run);
    }

    /** Routes the entries still waiting and returns once every entry ran. */
    void finish() {
        while (!unrouted.isEmpty()) route(unrouted.poll());
        CompletableFuture.allOf(running.toArray(CompletableFuture[]::new)).join();
    }
}
