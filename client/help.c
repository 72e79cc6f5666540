/* client/help.c — everything ismsctl says about its commands, generated from the command rows
 * (cmd.h): synopses, `help`, `<noun> --help`, `<noun> <verb> --help` with one line per flag,
 * and the bash completion script. Nothing here knows a command by name. */
#include <string.h>

#include "cmd.h"

#define HELP_WIDTH 98
#define FLAG_COL   28 /* where a flag's help starts in `<noun> <verb> --help` */

void isms_help_wrap(FILE *fp, const char *text, size_t col, size_t indent)
{
    const char *p = text;

    while (*p != '\0') {
        size_t room = HELP_WIDTH - col, n = strlen(p);

        if (n > room) {
            size_t k = room;

            /* Keep a bracketed option together when it can start the next line. */
            while (k > room / 2 && !(p[k] == ' ' && p[k + 1] == '['))
                k--;
            n = k > room / 2 ? k : room;
            while (k <= room / 2 && n > 0 && p[n] != ' ')
                n--;
            if (n == 0)
                n = room;
        }
        fprintf(fp, "%.*s\n", (int)n, p);
        p += n;
        while (*p == ' ')
            p++;
        if (*p != '\0')
            fprintf(fp, "%*s", (int)indent, "");
        col = indent;
    }
}

static const char *flag_metavar(const struct isms_flag *f)
{
    if (f->metavar != NULL)
        return f->metavar;
    return f->kind == ISMS_FLAG_ENUM ? f->choices : "VALUE";
}

/* Appends printf output to buf[*len..size), never past its end. */
#define APPEND(buf, size, len, ...)                                                                \
    do {                                                                                           \
        if (*(len) < (size))                                                                       \
            *(len) += (size_t)snprintf((buf) + *(len), (size) - *(len), __VA_ARGS__);              \
    } while (0)

/* "R-<n> --title TEXT [--owner USER] [--asset ID]..." from the row. */
static void synopsis(const struct isms_cmd *cmd, char *buf, size_t size)
{
    size_t len = 0;

    buf[0] = '\0';
    for (size_t k = 0; cmd->args != NULL && cmd->args[k].name != NULL; k++) {
        const struct isms_arg *g = &cmd->args[k];
        bool is_optional = (g->opts & ISMS_OPT_OPTIONAL) != 0;

        APPEND(buf, size, &len, "%s%s%s%s%s", len > 0 ? " " : "", is_optional ? "[" : "", g->name,
               is_optional ? "]" : "", (g->opts & ISMS_OPT_MANY) ? "..." : "");
    }
    for (size_t k = 0; cmd->flags != NULL && cmd->flags[k].name != NULL; k++) {
        const struct isms_flag *f = &cmd->flags[k];
        bool is_required = (f->opts & ISMS_OPT_REQUIRED) != 0;

        APPEND(buf, size, &len, "%s%s--%s%s%s%s%s", len > 0 ? " " : "", is_required ? "" : "[",
               f->name, f->kind == ISMS_FLAG_BOOL ? "" : " ",
               f->kind == ISMS_FLAG_BOOL ? "" : flag_metavar(f), is_required ? "" : "]",
               f->kind == ISMS_FLAG_LIST ? "..." : "");
    }
    if (len >= size && size > 4)
        memcpy(buf + size - 4, "...", 4);
}

static void print_words(FILE *fp, const struct isms_cmd *c)
{
    fprintf(fp, "%s%s%s", c->noun, c->verb[0] != '\0' ? " " : "", c->verb);
}

static void print_cmd(FILE *fp, const struct isms_cmd *c)
{
    char syn[1024];

    synopsis(c, syn, sizeof(syn));
    fputs("  ", fp);
    print_words(fp, c);
    if (syn[0] != '\0') {
        size_t col = 2 + strlen(c->noun) + (c->verb[0] != '\0' ? 1 + strlen(c->verb) : 0) + 1;

        fputc(' ', fp);
        isms_help_wrap(fp, syn, col, 6);
    } else {
        fputc('\n', fp);
    }
    fputs("      ", fp);
    isms_help_wrap(fp, c->summary, 6, 6);
}

/* What kind of value a flag takes, said in a few words after its help. */
static void print_flag(FILE *fp, const struct isms_flag *f)
{
    char head[160], line[768];
    size_t len = 0;
    int64_t max = f->max;

    snprintf(head, sizeof(head), "  --%s%s%s%s", f->name, f->kind == ISMS_FLAG_BOOL ? "" : " ",
             f->kind == ISMS_FLAG_BOOL ? "" : flag_metavar(f),
             f->kind == ISMS_FLAG_LIST ? " ..." : "");
    line[0] = '\0';
    APPEND(line, sizeof(line), &len, "%s", f->help != NULL ? f->help : "");
    if (f->kind == ISMS_FLAG_INT && !(f->min == 0 && f->max == 0) && max != INT64_MAX)
        APPEND(line, sizeof(line), &len, "%s(%lld-%lld)", len > 0 ? " " : "", (long long)f->min,
               (long long)max);
    if (f->kind == ISMS_FLAG_LIST)
        APPEND(line, sizeof(line), &len, "%s(may repeat%s)", len > 0 ? " " : "",
               (f->opts & ISMS_OPT_SPLIT) ? "; or a,b" : "");
    if (f->opts & ISMS_OPT_REQUIRED)
        APPEND(line, sizeof(line), &len, "%s(required)", len > 0 ? " " : "");
    if (f->with != NULL)
        APPEND(line, sizeof(line), &len, "%s(with --%s)", len > 0 ? " " : "", f->with);
    if (f->without != NULL)
        APPEND(line, sizeof(line), &len, "%s(not with --%s)", len > 0 ? " " : "", f->without);
    fputs(head, fp);
    if (strlen(head) + 2 > FLAG_COL) {
        fprintf(fp, "\n%*s", FLAG_COL, "");
    } else {
        fprintf(fp, "%*s", (int)(FLAG_COL - strlen(head)), "");
    }
    if (line[0] == '\0')
        fputc('\n', fp);
    else
        isms_help_wrap(fp, line, FLAG_COL, FLAG_COL);
}

/* A plausible value for a flag or argument, from its metavar and kind. */
static const char *sample_value(const char *metavar, const struct isms_flag *f)
{
    static const struct {
        const char *metavar, *sample;
    } samples[] = {
        {"R-<n>", "R-1"},
        {"A-<n>", "A-1"},
        {"A-<n>|NAME", "\"Customer DB\""},
        {"ID-or-NAME", "A-1"},
        {"USER", "alice"},
        {"NAME", "alice"},
        {"YYYY-MM-DD", "2027-01-31"},
        {"TEXT", "\"...\""},
        {"F", "file.csv"},
        {"ID", "8.24"},
        {"N", "3"},
        {"T-<n>", "T-1"},
        {"OPP-<n>", "OPP-1"},
        {"P-<n>", "P-1"},
        {"I-<n>", "I-1"},
    };

    if (f != NULL && f->kind == ISMS_FLAG_ENUM) {
        static char first[64];
        const char *bar = strchr(f->choices, '|');
        size_t n = bar != NULL ? (size_t)(bar - f->choices) : strlen(f->choices);

        snprintf(first, sizeof(first), "%.*s", (int)n, f->choices);
        return first;
    }
    if (f != NULL && f->kind == ISMS_FLAG_DATE)
        return "2027-01-31";
    if (f != NULL && f->kind == ISMS_FLAG_INT)
        return f->min > 1 ? "10" : "3";
    for (size_t k = 0; metavar != NULL && k < sizeof(samples) / sizeof(samples[0]); k++) {
        if (strcmp(metavar, samples[k].metavar) == 0)
            return samples[k].sample;
    }
    return metavar != NULL ? metavar : "VALUE";
}

/* One example made from the row: its required arguments and flags with sample values. */
static void made_example(const struct isms_cmd *cmd, char *buf, size_t size)
{
    size_t len = 0;

    buf[0] = '\0';
    APPEND(buf, size, &len, "%s%s%s", cmd->noun, cmd->verb[0] != '\0' ? " " : "", cmd->verb);
    for (size_t k = 0; cmd->args != NULL && cmd->args[k].name != NULL; k++) {
        if (!(cmd->args[k].opts & ISMS_OPT_OPTIONAL))
            APPEND(buf, size, &len, " %s", sample_value(cmd->args[k].name, NULL));
    }
    for (size_t k = 0; cmd->flags != NULL && cmd->flags[k].name != NULL; k++) {
        const struct isms_flag *f = &cmd->flags[k];

        if (!(f->opts & ISMS_OPT_REQUIRED))
            continue;
        APPEND(buf, size, &len, " --%s", f->name);
        if (f->kind != ISMS_FLAG_BOOL)
            APPEND(buf, size, &len, " %s", sample_value(f->metavar, f));
    }
}

/* "  ismsctl " and the words of text[0..n), continued with " \\" on the next line (indented)
 * where the next word would pass HELP_WIDTH; a "quoted phrase" is one word. */
static void print_example_line(FILE *fp, const char *text, size_t n)
{
    size_t col = 10, i = 0;

    fputs("  ismsctl", fp);
    while (i < n) {
        size_t start = i;
        bool is_quoted = false;

        while (i < n && (is_quoted || text[i] != ' ')) {
            if (text[i] == '"')
                is_quoted = !is_quoted;
            i++;
        }
        if (col + 1 + (i - start) + 2 > HELP_WIDTH && col > 12) {
            fputs(" \\\n       ", fp);
            col = 7;
        }
        fprintf(fp, " %.*s", (int)(i - start), text + start);
        col += 1 + (i - start);
        while (i < n && text[i] == ' ')
            i++;
    }
    fputc('\n', fp);
}

/* "example:" and one "  ismsctl ..." line per example. */
static void print_examples(FILE *fp, const struct isms_cmd *cmd)
{
    char made[512];
    const char *p = cmd->example;

    if (p == NULL) {
        made_example(cmd, made, sizeof(made));
        p = made;
    }
    fputs(strchr(p, '\n') != NULL ? "\nexamples:\n" : "\nexample:\n", fp);
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);

        print_example_line(fp, p, n);
        p += n;
        if (*p == '\n')
            p++;
    }
}

void isms_help_print(FILE *fp, const struct isms_noun *noun, const struct isms_cmd *cmd)
{
    fprintf(fp, "ismsctl %s: command-line client of ismsd, the ISO/IEC 27001 ISMS server\n\n",
            ISMS_VERSION);
    if (cmd != NULL) {
        char syn[1024], usage[1200];
        bool has_change = false;

        synopsis(cmd, syn, sizeof(syn));
        snprintf(usage, sizeof(usage), "ismsctl [options] %s%s%s%s%s", cmd->noun,
                 cmd->verb[0] != '\0' ? " " : "", cmd->verb, syn[0] != '\0' ? " " : "", syn);
        fputs("usage: ", fp);
        isms_help_wrap(fp, usage, 7, 15);
        fputs("  ", fp);
        isms_help_wrap(fp, cmd->summary, 2, 2);
        if (cmd->flags != NULL && cmd->flags[0].name != NULL) {
            fputs("\nflags:\n", fp);
            for (size_t k = 0; cmd->flags[k].name != NULL; k++) {
                print_flag(fp, &cmd->flags[k]);
                has_change = has_change || (cmd->flags[k].opts & ISMS_OPT_CHANGE);
            }
            if (has_change) {
                fputs("  at least one of:", fp);
                for (size_t k = 0; cmd->flags[k].name != NULL; k++) {
                    if (cmd->flags[k].opts & ISMS_OPT_CHANGE)
                        fprintf(fp, " --%s", cmd->flags[k].name);
                }
                fputc('\n', fp);
            }
        }
        print_examples(fp, cmd);
        return;
    }
    fputs("usage: ismsctl [--server HOST:PORT] [--ca FILE | --plaintext] [-o table|json|csv]\n"
          "               [--wide] [--timeout MS] <noun> <verb> [args]\n"
          "       ismsctl help | <noun> help | <noun> <verb> --help | --version\n\n",
          fp);
    fputs("commands:\n", fp);
    for (size_t i = 0; isms_nouns[i] != NULL; i++) {
        if (noun != NULL && isms_nouns[i] != noun)
            continue;
        for (size_t k = 0; k < isms_nouns[i]->ncmds; k++)
            print_cmd(fp, &isms_nouns[i]->cmds[k]);
    }
}

/* ---- bash completion ------------------------------------------------------------------------ */

/* The choices "a|b|c" as "a b c". */
static void put_choices(FILE *fp, const char *choices)
{
    for (const char *p = choices; *p != '\0'; p++)
        fputc(*p == '|' ? ' ' : *p, fp);
}

static const char COMPLETION_HEAD[] =
    "# bash completion for ismsctl, generated by `ismsctl completion bash` from its command\n"
    "# table. Load it with: source <(ismsctl completion bash)\n"
    "# or save it as ~/.local/share/bash-completion/completions/ismsctl\n\n";

/* The driver: finds the command among the words typed, then completes the next verb word, a
 * flag, or a flag's value (enum choices, file names). */
static const char COMPLETION_MAIN[] =
    "_ismsctl_next() {\n"
    "    local c out=\"\"\n"
    "    for c in \"${_ismsctl_cmds[@]}\"; do\n"
    "        if [[ -n $1 ]]; then\n"
    "            [[ $c == \"$1 \"* ]] || continue\n"
    "            c=${c#\"$1 \"}\n"
    "        fi\n"
    "        c=${c%% *}\n"
    "        [[ \" $out \" == *\" $c \"* ]] || out+=\" $c\"\n"
    "    done\n"
    "    printf '%s\\n' \"$out\"\n"
    "}\n\n"
    "_ismsctl_extends() {\n"
    "    local c\n"
    "    for c in \"${_ismsctl_cmds[@]}\"; do\n"
    "        [[ $c == \"$1\" || $c == \"$1 \"* ]] && return 0\n"
    "    done\n"
    "    return 1\n"
    "}\n\n"
    "_ismsctl() {\n"
    "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
    "    local i w cmd=\"\" kind\n"
    "    COMPREPLY=()\n"
    "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
    "        w=${COMP_WORDS[i]}\n"
    "        case $w in\n"
    "        --server | --ca | --timeout | -o | --output) ((i++)); continue ;;\n"
    "        --*=* | -o?*) continue ;;\n"
    "        -*)\n"
    "            kind=$(_ismsctl_kind \"$cmd\" \"$w\")\n"
    "            [[ -n $kind && $kind != bool ]] && ((i++))\n"
    "            continue ;;\n"
    "        esac\n"
    "        if _ismsctl_extends \"${cmd:+$cmd }$w\"; then\n"
    "            cmd=\"${cmd:+$cmd }$w\"\n"
    "        fi\n"
    "    done\n"
    "    case $prev in\n"
    "    --server | --timeout) return 0 ;;\n"
    "    --ca) COMPREPLY=($(compgen -f -- \"$cur\")); return 0 ;;\n"
    "    -o | --output) COMPREPLY=($(compgen -W \"table json csv\" -- \"$cur\")); return 0 ;;\n"
    "    esac\n"
    "    if [[ $prev == --* ]]; then\n"
    "        kind=$(_ismsctl_kind \"$cmd\" \"$prev\")\n"
    "        case $kind in\n"
    "        enum:*) COMPREPLY=($(compgen -W \"${kind#enum:}\" -- \"$cur\")); return 0 ;;\n"
    "        file) COMPREPLY=($(compgen -f -- \"$cur\")); return 0 ;;\n"
    "        value) return 0 ;;\n"
    "        esac\n"
    "    fi\n"
    "    if [[ $cur == -* ]]; then\n"
    "        COMPREPLY=($(compgen -W \"$(_ismsctl_flags \"$cmd\") --server --ca --plaintext "
    "--output --timeout --wide --help\" -- \"$cur\"))\n"
    "        return 0\n"
    "    fi\n"
    "    COMPREPLY=($(compgen -W \"$(_ismsctl_next \"$cmd\")\" -- \"$cur\"))\n"
    "}\n\n"
    "complete -F _ismsctl ismsctl\n";

void isms_help_completion_bash(FILE *fp)
{
    fputs(COMPLETION_HEAD, fp);
    fputs("_ismsctl_cmds=(\n    help\n", fp);
    for (size_t i = 0; isms_nouns[i] != NULL; i++) {
        for (size_t k = 0; k < isms_nouns[i]->ncmds; k++) {
            fputs("    \"", fp);
            print_words(fp, &isms_nouns[i]->cmds[k]);
            fputs("\"\n", fp);
        }
    }
    fputs(")\n\n", fp);

    /* _ismsctl_flags CMD: the flags of one command. */
    fputs("_ismsctl_flags() {\n    case $1 in\n", fp);
    for (size_t i = 0; isms_nouns[i] != NULL; i++) {
        for (size_t k = 0; k < isms_nouns[i]->ncmds; k++) {
            const struct isms_cmd *c = &isms_nouns[i]->cmds[k];

            fputs("    \"", fp);
            print_words(fp, c);
            fputs("\") echo \"", fp);
            for (size_t f = 0; c->flags != NULL && c->flags[f].name != NULL; f++)
                fprintf(fp, "%s--%s", f > 0 ? " " : "", c->flags[f].name);
            fputs("\" ;;\n", fp);
        }
    }
    fputs("    esac\n}\n\n", fp);

    /* _ismsctl_kind CMD FLAG: bool, value, file or enum:CHOICES. */
    fputs("_ismsctl_kind() {\n    case \"$1|$2\" in\n", fp);
    for (size_t i = 0; isms_nouns[i] != NULL; i++) {
        for (size_t k = 0; k < isms_nouns[i]->ncmds; k++) {
            const struct isms_cmd *c = &isms_nouns[i]->cmds[k];

            for (size_t f = 0; c->flags != NULL && c->flags[f].name != NULL; f++) {
                const struct isms_flag *fl = &c->flags[f];

                fputs("    \"", fp);
                print_words(fp, c);
                fprintf(fp, "|--%s\") echo \"", fl->name);
                switch (fl->kind) {
                case ISMS_FLAG_BOOL:
                    fputs("bool", fp);
                    break;
                case ISMS_FLAG_ENUM:
                    fputs("enum:", fp);
                    put_choices(fp, fl->choices);
                    break;
                case ISMS_FLAG_FILE:
                    fputs("file", fp);
                    break;
                default:
                    fputs("value", fp);
                    break;
                }
                fputs("\" ;;\n", fp);
            }
        }
    }
    fputs("    esac\n}\n\n", fp);
    fputs(COMPLETION_MAIN, fp);
}
