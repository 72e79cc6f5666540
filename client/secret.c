/* client/secret.c — password input without echo on /dev/tty, or from stdin lines. While echo
 * is off, SIGINT/SIGTERM/SIGHUP/SIGQUIT restore the terminal before the signal takes effect;
 * the saved terminal state is the only global here (signal state, STYLE §4). */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"

static const int restore_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define NSIGNALS (sizeof(restore_signals) / sizeof(restore_signals[0]))

/* The terminal to restore if a signal arrives while echo is off. */
static volatile sig_atomic_t tty_fd_to_restore = -1;
static struct termios tty_saved;

static void on_signal(int sig)
{
    int fd = tty_fd_to_restore;

    if (fd >= 0) {
        (void)tcsetattr(fd, TCSAFLUSH, &tty_saved);
        (void)write(fd, "\n", 1);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

void isms_secret_wipe(void *p, size_t n)
{
    if (p != NULL && n > 0)
        OPENSSL_cleanse(p, n);
}

/* Reads one line from `fp` into out (no line end). Returns ISMS_OK, or a usage error. */
static enum isms_code read_line(struct isms_cli *cli, FILE *fp, const char *source, char *out,
                                struct isms_status *st)
{
    size_t len = 0;
    int c;

    for (;;) {
        c = getc(fp);
        if (c == EOF || c == '\n')
            break;
        if (c == '\0' || len >= ISMS_SECRET_MAX) {
            /* Drain the rest of the line so nothing of it is echoed later. */
            while (c != EOF && c != '\n')
                c = getc(fp);
            isms_secret_wipe(out, ISMS_SECRET_BUF);
            return isms_cli_usage(cli, st, "password from %s is %s", source,
                                  c == '\0' ? "not text (holds NUL)" : "longer than 1024 bytes");
        }
        out[len++] = (char)c;
    }
    if (c == EOF && len == 0) {
        isms_secret_wipe(out, ISMS_SECRET_BUF);
        return isms_cli_usage(cli, st, "%s ended before the password was read", source);
    }
    if (len > 0 && out[len - 1] == '\r')
        len--;
    out[len] = '\0';
    if (len == 0)
        return isms_cli_usage(cli, st, "empty password from %s", source);
    return ISMS_OK;
}

/* Prompts on the terminal with echo off and reads one line. */
static enum isms_code read_tty(struct isms_cli *cli, const char *prompt, char *out,
                               struct isms_status *st)
{
    struct termios quiet;
    struct sigaction sa, old[NSIGNALS];
    enum isms_code code;
    FILE *fp;
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

    if (fd < 0)
        return isms_cli_usage(cli, st,
                              "no terminal to ask for the password on; use --password-stdin");
    if (tcgetattr(fd, &tty_saved) != 0) {
        close(fd);
        return isms_cli_usage(cli, st,
                              "no terminal to ask for the password on; use --password-stdin");
    }
    fp = fdopen(fd, "r+");
    if (fp == NULL) {
        close(fd);
        return isms_status_set(st, ISMS_RESOURCE_EXHAUSTED, "could not open the terminal");
    }
    /* Unbuffered: no copy of the password lingers in a stdio buffer. */
    setvbuf(fp, NULL, _IONBF, 0);

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NSIGNALS; i++)
        sigaction(restore_signals[i], &sa, &old[i]);
    quiet = tty_saved;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
    quiet.c_lflag |= ICANON;
    tty_fd_to_restore = fd;
    (void)tcsetattr(fd, TCSAFLUSH, &quiet);
    (void)write(fd, prompt, strlen(prompt));

    code = read_line(cli, fp, "the terminal", out, st);

    (void)tcsetattr(fd, TCSAFLUSH, &tty_saved);
    tty_fd_to_restore = -1;
    for (size_t i = 0; i < NSIGNALS; i++)
        sigaction(restore_signals[i], &old[i], NULL);
    (void)write(fd, "\n", 1);
    fclose(fp);
    return code;
}

enum isms_code isms_secret_read(struct isms_cli *cli, bool from_stdin, const char *prompt,
                                char *out, struct isms_status *st)
{
    out[0] = '\0';
    if (from_stdin) {
        /* Unbuffered, so no copy of the password stays in stdio's buffer; allowed only
         * before the first read of stdin, which is ours. */
        if (!cli->is_stdin_unbuffered)
            setvbuf(stdin, NULL, _IONBF, 0);
        cli->is_stdin_unbuffered = true;
        return read_line(cli, stdin, "stdin", out, st);
    }
    return read_tty(cli, prompt, out, st);
}

enum isms_code isms_secret_read_new(struct isms_cli *cli, bool from_stdin, char *out,
                                    struct isms_status *st)
{
    char again[ISMS_SECRET_BUF];
    enum isms_code code;

    if (isms_secret_read(cli, from_stdin, "New password: ", out, st) != ISMS_OK)
        return st->code;
    if (from_stdin)
        return ISMS_OK;
    code = isms_secret_read(cli, false, "New password again: ", again, st);
    if (code == ISMS_OK && strcmp(out, again) != 0)
        code = isms_cli_usage(cli, st, "the new passwords do not match");
    isms_secret_wipe(again, sizeof(again));
    if (code != ISMS_OK)
        isms_secret_wipe(out, ISMS_SECRET_BUF);
    return code;
}
