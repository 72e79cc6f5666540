/* client/cmd_completion.c — `ismsctl completion bash|zsh`: prints the completion script that
 * help.c (bash) or completion_zsh.c (zsh) generates from the command rows, so completion knows
 * every noun, verb, flag and enum value the parser does. Needs no server. */
#include <stdio.h>

#include "cli.h"
#include "completion_zsh.h"

/* Checks every row, then writes the script `gen` makes to stdout. */
static enum isms_code print_script(void (*gen)(FILE *fp), struct isms_status *st)
{
    for (size_t i = 0; isms_nouns[i] != NULL; i++) {
        for (size_t k = 0; k < isms_nouns[i]->ncmds; k++) {
            if (isms_cmd_check(&isms_nouns[i]->cmds[k], st) != ISMS_OK)
                return st->code;
        }
    }
    gen(stdout);
    if (fflush(stdout) != 0 || ferror(stdout))
        return isms_status_set(st, ISMS_INTERNAL, "could not write stdout");
    return ISMS_OK;
}

static enum isms_code run_bash(struct isms_cli *cli, const struct isms_args *a,
                               ProtobufCMessage *msg, struct isms_out *out, struct isms_status *st)
{
    (void)cli;
    (void)a;
    (void)msg;
    (void)out;
    return print_script(isms_help_completion_bash, st);
}

static enum isms_code run_zsh(struct isms_cli *cli, const struct isms_args *a,
                              ProtobufCMessage *msg, struct isms_out *out, struct isms_status *st)
{
    (void)cli;
    (void)a;
    (void)msg;
    (void)out;
    return print_script(isms_completion_zsh, st);
}

static const struct isms_cmd completion_cmds[] = {
    {.noun = "completion",
     .verb = "bash",
     .summary = "print a bash completion script for every command, flag and value listed here; "
                "load it with: source <(ismsctl completion bash)",
     .run = run_bash},
    {.noun = "completion",
     .verb = "zsh",
     .summary = "print a zsh completion script (commands with their summaries, flags, values); "
                "load it after compinit with: source <(ismsctl completion zsh), or save it as "
                "_ismsctl in a directory of $fpath",
     .run = run_zsh},
};

const struct isms_noun isms_noun_completion = {
    "completion",
    "shell completion generated from the command table",
    completion_cmds,
    sizeof(completion_cmds) / sizeof(completion_cmds[0]),
};
