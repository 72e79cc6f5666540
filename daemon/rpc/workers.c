/* rpc/workers.c — worker threads with a bounded FIFO queue and a completion list handed back
 * to the loop through one uv_async_t. A job is in exactly one place at a time: the queue, a
 * worker, or the completion list; the mutex guards all three. */
#include "rpc/workers.h"

#include <pthread.h>
#include <stdlib.h>

enum work_state { WORK_QUEUED, WORK_RUNNING, WORK_DONE };

struct isms_work {
    struct isms_work *next;
    isms_work_run_fn *run;
    isms_work_done_fn *done;
    void *data;
    enum work_state state;
    int is_cancelled;
};

struct isms_workers {
    uv_async_t async;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct isms_work *queue_head, *queue_tail;
    struct isms_work *done_head, *done_tail;
    size_t queued, running, queue_max;
    unsigned nthreads;
    int is_stopping;
    pthread_t *threads;
};

static void push_done(struct isms_workers *w, struct isms_work *job)
{
    job->state = WORK_DONE;
    job->next = NULL;
    if (w->done_tail != NULL)
        w->done_tail->next = job;
    else
        w->done_head = job;
    w->done_tail = job;
}

static void *worker_main(void *arg)
{
    struct isms_workers *w = arg;

    pthread_mutex_lock(&w->mu);
    for (;;) {
        struct isms_work *job;

        while (w->queue_head == NULL && !w->is_stopping)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->queue_head == NULL)
            break; /* stopping and nothing left */
        job = w->queue_head;
        w->queue_head = job->next;
        if (w->queue_head == NULL)
            w->queue_tail = NULL;
        w->queued--;
        w->running++;
        job->state = WORK_RUNNING;
        pthread_mutex_unlock(&w->mu);
        job->run(job->data);
        pthread_mutex_lock(&w->mu);
        w->running--;
        push_done(w, job);
        uv_async_send(&w->async);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Runs the callbacks of finished and cancelled jobs, outside the lock. */
static void run_done(struct isms_workers *w)
{
    struct isms_work *list;

    pthread_mutex_lock(&w->mu);
    list = w->done_head;
    w->done_head = w->done_tail = NULL;
    pthread_mutex_unlock(&w->mu);
    while (list != NULL) {
        struct isms_work *job = list;

        list = job->next;
        job->done(job->data, job->is_cancelled);
        free(job);
    }
}

static void on_async(uv_async_t *a)
{
    run_done(a->data);
}

enum isms_code isms_workers_new(uv_loop_t *loop, unsigned threads, size_t queue_max,
                                struct isms_workers **out, struct isms_status *st)
{
    struct isms_workers *w = calloc(1, sizeof(*w));

    if (w == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    if (threads == 0)
        threads = 1;
    w->queue_max = queue_max;
    w->threads = calloc(threads, sizeof(*w->threads));
    if (w->threads == NULL) {
        free(w);
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    for (unsigned i = 0; i < threads; i++) {
        if (pthread_create(&w->threads[i], NULL, worker_main, w) != 0) {
            pthread_mutex_lock(&w->mu);
            w->is_stopping = 1;
            pthread_cond_broadcast(&w->cv);
            pthread_mutex_unlock(&w->mu);
            for (unsigned k = 0; k < i; k++)
                pthread_join(w->threads[k], NULL);
            pthread_cond_destroy(&w->cv);
            pthread_mutex_destroy(&w->mu);
            free(w->threads);
            free(w);
            return isms_status_set(st, ISMS_INTERNAL, "could not start worker thread %u", i + 1);
        }
        w->nthreads++;
    }
    uv_async_init(loop, &w->async, on_async);
    w->async.data = w;
    /* Pending jobs keep their calls open; the async handle alone must not keep the loop up. */
    uv_unref((uv_handle_t *)&w->async);
    *out = w;
    return ISMS_OK;
}

enum isms_code isms_workers_submit(struct isms_workers *w, isms_work_run_fn *run,
                                   isms_work_done_fn *done, void *data, struct isms_work **handle,
                                   struct isms_status *st)
{
    struct isms_work *job;

    pthread_mutex_lock(&w->mu);
    if (w->is_stopping) {
        pthread_mutex_unlock(&w->mu);
        return isms_status_set(st, ISMS_UNAVAILABLE, "server is shutting down");
    }
    if (w->queued >= w->queue_max) {
        size_t n = w->queued;

        pthread_mutex_unlock(&w->mu);
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED,
                               "too many password operations waiting (%zu); try again later", n);
    }
    pthread_mutex_unlock(&w->mu);
    job = calloc(1, sizeof(*job));
    if (job == NULL)
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "out of memory");
    job->run = run;
    job->done = done;
    job->data = data;
    job->state = WORK_QUEUED;
    pthread_mutex_lock(&w->mu);
    if (w->queue_tail != NULL)
        w->queue_tail->next = job;
    else
        w->queue_head = job;
    w->queue_tail = job;
    w->queued++;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    if (handle != NULL)
        *handle = job;
    return ISMS_OK;
}

/* Unlinks a queued job; the caller holds the lock. */
static void unqueue(struct isms_workers *w, struct isms_work *job)
{
    struct isms_work **pp = &w->queue_head, *prev = NULL;

    while (*pp != NULL && *pp != job) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (*pp == NULL)
        return;
    *pp = job->next;
    if (w->queue_tail == job)
        w->queue_tail = prev;
    w->queued--;
}

void isms_workers_cancel(struct isms_workers *w, struct isms_work *job)
{
    pthread_mutex_lock(&w->mu);
    if (job->state == WORK_QUEUED) {
        unqueue(w, job);
        job->is_cancelled = 1;
        push_done(w, job);
        uv_async_send(&w->async);
    }
    pthread_mutex_unlock(&w->mu);
}

size_t isms_workers_pending(const struct isms_workers *w)
{
    struct isms_workers *m = (struct isms_workers *)w;
    size_t n;

    pthread_mutex_lock(&m->mu);
    n = m->queued + m->running;
    pthread_mutex_unlock(&m->mu);
    return n;
}

static void on_closed(uv_handle_t *h)
{
    struct isms_workers *w = h->data;

    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w->threads);
    free(w);
}

void isms_workers_close(struct isms_workers *w)
{
    pthread_mutex_lock(&w->mu);
    w->is_stopping = 1;
    while (w->queue_head != NULL) {
        struct isms_work *job = w->queue_head;

        w->queue_head = job->next;
        job->is_cancelled = 1;
        push_done(w, job);
    }
    w->queue_tail = NULL;
    w->queued = 0;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    for (unsigned i = 0; i < w->nthreads; i++)
        pthread_join(w->threads[i], NULL);
    run_done(w);
    uv_close((uv_handle_t *)&w->async, on_closed);
}
