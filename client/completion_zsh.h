/* client/completion_zsh.h — the zsh completion script of ismsctl, generated from the command
 * rows (cmd.h) like `ismsctl help` and the bash script, so the three cannot drift apart. */
#ifndef ISMS_CLIENT_COMPLETION_ZSH_H
#define ISMS_CLIENT_COMPLETION_ZSH_H

#include <stdio.h>

/*
 * Writes the zsh completion script for every command in isms_nouns to `fp`: a `#compdef
 * ismsctl` file that works both autoloaded from $fpath (saved as _ismsctl) and sourced
 * (`source <(ismsctl completion zsh)` after compinit). Commands are offered with their
 * summaries, flags per command with their help, enum flags with their choices and file flags
 * with file names. Write errors are left in `fp`'s error indicator.
 */
void isms_completion_zsh(FILE *fp);

#endif
