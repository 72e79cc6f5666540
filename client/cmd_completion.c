/* client/cmd_completion.c — `ismsctl completion bash`: prints the bash completion script that
 * help.c generates from the command rows, so completion knows every noun, verb, flag and enum
 * value the parser does. Needs no server. */
#include <stdio.h>

#include "cli.h"

static enum isms_code run_bash(struct isms_cli *cli, const struct isms_args *a,
                               ProtobufCMessage *msg, struct isms_out *out, struct isms_status *st)
{
    (void)cli;
    (void)a;
    (void)msg;
    (void)out;
    for (size_t i = 0; isms_nouns[i] != NULL; i++) {
        for (size_t k = 0; k < isms_nouns[i]->ncmds; k++) {
            if (isms_cmd_check(&isms_nouns[i]->cmds[k], st) != ISMS_OK)
                return st->code;
        }
    }
    isms_help_completion_bash(stdout);
    if (fflush(stdout) != 0)
        return isms_status_set(st, ISMS_INTERNAL, "could not write stdout");
    return ISMS_OK;
}

static const struct isms_cmd completion_cmds[] = {
    {.noun = "completion",
     .verb = "bash",
     .summary = "print a bash completion script for every command, flag and value listed here; "
                "load it with: source <(ismsctl completion bash)",
     .run = run_bash},
};

const struct isms_noun isms_noun_completion = {
    "completion",
    "shell completion generated from the command table",
    completion_cmds,
    sizeof(completion_cmds) / sizeof(completion_cmds[0]),
};
