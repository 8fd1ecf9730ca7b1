/* A small pool of worker threads for the runtime's own parallel kernels.
 *
 * pool_run(fn, arg) runs fn(arg, part, parts) once for every part, parts
 * being the pool's thread count, and returns when all are done; fn picks its
 * share of the work from part and parts.  The caller and the workers claim
 * parts one at a time, so a worker that the OS has not scheduled yet (on a
 * machine shared with other work) leaves its part to the caller instead of
 * holding it up: the caller waits only for parts already under way.  Each
 * thread claims its own part first (the caller part 0, worker k part k), so
 * back-to-back jobs split the same way (a product, then the update that
 * reads it) find their share of the data in the same core's cache.  A claim
 * carries the job's generation, so no worker can mistake whose job it saw.
 * Workers spin for a short while after each job, so the back-to-back
 * products of a scan step start without a wake-up; then they sleep on a
 * condition variable, so an idle pool costs nothing.  Pure C: no Python
 * object is touched here.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define POOL_RELAX() _mm_pause()
#else
#define POOL_RELAX() ((void)0)
#endif

#define POOL_MAX 16
/* Nanoseconds a worker spins for the next job before sleeping. */
#define POOL_SPIN_NS 200000LL

typedef void (*pool_task)(void *arg, int part, int parts);

static struct {
    int size;                  /* threads including the caller; 1 = no workers */
    int started;               /* workers created */
    atomic_llong generation;   /* bumped per job */
    atomic_llong claim;        /* generation << POOL_MAX | mask of unclaimed parts */
    atomic_int done;           /* parts finished */
    atomic_int sleepers;       /* workers blocked on the condition */
    pool_task task;
    void *arg;
    int parts;
    long long birth[POOL_MAX]; /* the generation each worker starts after */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_mutex_t job;       /* held for a whole job: callers without the GIL */
} pool = {.size = 1,
          .lock = PTHREAD_MUTEX_INITIALIZER,
          .wake = PTHREAD_COND_INITIALIZER,
          .job = PTHREAD_MUTEX_INITIALIZER};

static long long pool_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#define POOL_MASK ((1LL << POOL_MAX) - 1)

/* The part a thread claims next from the mask of unclaimed parts ``left``
 * (not 0): its own part ``own`` while unclaimed, else the first left. */
static int pool_pick(long long left, int own)
{
    return (left >> own) & 1 ? own : __builtin_ctzll(left);
}

/* Claim and run parts of job ``g`` until none is left, part ``own`` first. */
static void pool_work(long long g, int own)
{
    for (;;) {
        long long c = atomic_load_explicit(&pool.claim, memory_order_acquire);
        long long left = c & POOL_MASK;
        int part;
        if ((c >> POOL_MAX) != g || left == 0) return;
        part = pool_pick(left, own);
        if (!atomic_compare_exchange_weak_explicit(&pool.claim, &c, c & ~(1LL << part),
                                                   memory_order_acq_rel,
                                                   memory_order_relaxed))
            continue;
        /* The job cannot change before this part is done. */
        pool.task(pool.arg, part, pool.parts);
        atomic_fetch_add_explicit(&pool.done, 1, memory_order_release);
    }
}

static void *pool_worker(void *p)
{
    int id = (int)(intptr_t)p;
    long long seen = pool.birth[id];
    for (;;) {
        long long g = atomic_load_explicit(&pool.generation, memory_order_acquire);
        if (g == seen) {
            long long until = pool_now_ns() + POOL_SPIN_NS;
            int spins = 0;
            while ((g = atomic_load_explicit(&pool.generation, memory_order_acquire)) ==
                   seen) {
                POOL_RELAX();
                if (++spins % 64 == 0 && pool_now_ns() > until) break;
            }
            if (g == seen) {
                pthread_mutex_lock(&pool.lock);
                atomic_fetch_add(&pool.sleepers, 1);
                while ((g = atomic_load(&pool.generation)) == seen)
                    pthread_cond_wait(&pool.wake, &pool.lock);
                atomic_fetch_sub(&pool.sleepers, 1);
                pthread_mutex_unlock(&pool.lock);
            }
        }
        seen = g;
        pool_work(g, id);
    }
    return NULL;
}

/* Use ``n`` threads (the caller included) for later jobs; workers start lazily. */
static void pool_set_size(int n)
{
    if (n < 1) n = 1;
    if (n > POOL_MAX) n = POOL_MAX;
    pool.size = n;
}

/* A forked child has none of the parent's workers: start them again there. */
static void pool_after_fork(void)
{
    pthread_mutex_t fresh_mutex = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t fresh_cond = PTHREAD_COND_INITIALIZER;
    pool.started = 0;
    atomic_store(&pool.sleepers, 0);
    atomic_store(&pool.claim, 0);
    atomic_store(&pool.done, 0);
    pool.lock = fresh_mutex;
    pool.job = fresh_mutex;
    pool.wake = fresh_cond;
}

/* Start the workers up to pool.size; returns how many threads can take part.
 * Under the job lock, so no job is being published while a worker is born. */
static int pool_ready(void)
{
    static int fork_handler = 0;
    if (!fork_handler) fork_handler = pthread_atfork(NULL, NULL, pool_after_fork) == 0;
    if (pool.started >= pool.size - 1) return pool.started + 1;
    pthread_mutex_lock(&pool.job);
    while (pool.started < pool.size - 1) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pool.birth[pool.started + 1] = atomic_load(&pool.generation);
        if (pthread_create(&t, &attr, pool_worker, (void *)(intptr_t)(pool.started + 1))) {
            pthread_attr_destroy(&attr);
            break;
        }
        pthread_attr_destroy(&attr);
        pool.started++;
    }
    pthread_mutex_unlock(&pool.job);
    return pool.started + 1;
}

/* True unless a worker is asleep, so a job starts without a wake-up (workers
 * not started yet begin spinning). */
static int pool_hot(void)
{
    return atomic_load_explicit(&pool.sleepers, memory_order_relaxed) == 0;
}

/* Run task(arg, part, parts) for every part of the pool.  One job at a
 * time: the job lock serialises callers, which need not hold the GIL. */
static void pool_run(pool_task task, void *arg)
{
    int parts = pool.size > 1 ? pool_ready() : 1;
    long long g;
    if (parts <= 1) {
        task(arg, 0, 1);
        return;
    }
    pthread_mutex_lock(&pool.job);
    parts = pool.started + 1;
    g = atomic_load(&pool.generation) + 1;
    pool.task = task;
    pool.arg = arg;
    pool.parts = parts;
    atomic_store(&pool.done, 0);
    atomic_store_explicit(&pool.claim, g << POOL_MAX | ((1LL << parts) - 1),
                          memory_order_release);
    /* Sequentially consistent, so a worker going to sleep sees it or is seen. */
    atomic_store(&pool.generation, g);
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.lock);
    }
    pool_work(g, 0);
    while (atomic_load_explicit(&pool.done, memory_order_acquire) < parts) POOL_RELAX();
    pthread_mutex_unlock(&pool.job);
}

/* A job's work cut into ``slots`` ranges and dealt out to its parts: part p
 * owns slots [p slots / parts, (p + 1) slots / parts), takes them front to
 * back, and once they are gone takes the last of another part's.  On a
 * machine shared with other work one core can run for seconds at two thirds
 * of the other's speed (measured here: the two halves of an MLP layer's
 * product took 202 and 318 us); with fixed halves the product waits for the
 * slow one.  Each part still starts on its own share, so back-to-back jobs
 * split alike keep their data in the same core's cache. */
typedef struct {
    atomic_llong range[POOL_MAX]; /* each part's unclaimed slots: front | back << 32 */
    int parts;
} pool_deal;

static void pool_deal_init(pool_deal *d, int slots, int parts)
{
    int p;
    d->parts = parts;
    for (p = 0; p < parts; p++) {
        const long long lo = (long long)slots * p / parts;
        const long long hi = (long long)slots * (p + 1) / parts;
        atomic_init(&d->range[p], lo | hi << 32);
    }
}

/* The next slot for ``part``: the front of its own, else the back of
 * another part's; -1 when every slot is taken. */
static int pool_deal_next(pool_deal *d, int part)
{
    int i;
    for (i = 0; i < d->parts; i++) {
        const int p = (part + i) % d->parts;
        long long r = atomic_load_explicit(&d->range[p], memory_order_relaxed);
        for (;;) {
            const long long lo = r & 0xffffffffLL, hi = r >> 32;
            const long long next = i == 0 ? (lo + 1) | hi << 32 : lo | (hi - 1) << 32;
            if (lo >= hi) break;
            if (atomic_compare_exchange_weak(&d->range[p], &r, next))
                return (int)(i == 0 ? lo : hi - 1);
        }
    }
    return -1;
}
