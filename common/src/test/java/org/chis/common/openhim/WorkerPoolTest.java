package org.chis.common.openhim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {
    @Test
    void oneRequestAfterAnotherRunsOnTheThreadAlreadyThere() throws Exception {
        WorkerPool pool = new WorkerPool(256, "w-");
        try {
            Set<String> threads = ConcurrentHashMap.newKeySet();
            for (int i = 0; i < 50; i++) {
                CountDownLatch done = new CountDownLatch(1);
                pool.execute(() -> {
                    threads.add(Thread.currentThread().getName());
                    done.countDown();
                });
                assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
                Thread.sleep(2); // the thread is back waiting for work
            }
            // a plain ThreadPoolExecutor started a thread per task until 256 lived (50 here)
            assertThat(pool.getLargestPoolSize()).isEqualTo(1);
            assertThat(threads).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void busyThreadsMakeRoomForMoreUpToTheSizeThenTasksWait() throws Exception {
        WorkerPool pool = new WorkerPool(3, "w-");
        try {
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch ran = new CountDownLatch(5);
            for (int i = 0; i < 5; i++) {
                pool.execute(() -> {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    ran.countDown();
                });
            }
            assertThat(pool.getPoolSize()).isEqualTo(3);
            release.countDown();
            assertThat(ran.await(5, TimeUnit.SECONDS)).isTrue();
        } finally {
            pool.shutdownNow();
        }
    }
}
