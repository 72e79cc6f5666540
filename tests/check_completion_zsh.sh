#!/usr/bin/env bash
# tests/check_completion_zsh.sh ISMSCTL — `ismsctl completion zsh` against `ismsctl help`:
# the script passes `zsh -n`; its command list is exactly the commands `ismsctl help` lists;
# and its driver, run in zsh with the completion system's functions (_describe, compadd,
# _files, _message) replaced by ones that print what they are given, offers the right words,
# flags, enum choices and files, both sourced and autoloaded from $fpath. Exit 77 (skipped)
# when zsh is not installed.

set -euo pipefail

ISMSCTL=${1:?usage: check_completion_zsh.sh ISMSCTL}
command -v zsh >/dev/null || {
    echo "zsh is not installed: skipped"
    exit 77
}
TMP=$(mktemp -d /tmp/isms-zsh.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

"$ISMSCTL" completion zsh >"$TMP/_ismsctl"
head -n 1 "$TMP/_ismsctl" | grep -qx '#compdef ismsctl' || fail "first line is not #compdef ismsctl"
zsh -n "$TMP/_ismsctl" || fail "zsh -n reports a syntax error"

# --- the command list is the one `ismsctl help` prints -------------------------------------
# zsh's list, read by zsh itself.
zsh -f -c "compdef() { :; }; source $TMP/_ismsctl; print -rl -- \"\${_ismsctl_cmds[@]}\"" |
    grep -vx help | sort >"$TMP/zsh_cmds"
# help's command lines are "  <words> [synopsis]"; summaries are indented by 6.
"$ISMSCTL" help | sed -n '/^commands:/,/^$/p' | grep -E '^  [a-z]' | sed 's/^  //' >"$TMP/help_lines"
nhelp=$(wc -l <"$TMP/help_lines")
nzsh=$(wc -l <"$TMP/zsh_cmds")
[[ $nhelp -gt 20 ]] || fail "ismsctl help lists only $nhelp commands"
[[ $nhelp -eq $nzsh ]] || fail "ismsctl help lists $nhelp commands, the zsh script $nzsh"
# Each help line starts with exactly one zsh command (the longest that matches).
while IFS= read -r line; do
    best=""
    while IFS= read -r c; do
        if [[ "$line" == "$c" || "$line" == "$c "* ]] && ((${#c} > ${#best})); then
            best=$c
        fi
    done <"$TMP/zsh_cmds"
    [[ -n $best ]] || fail "help's command \"$line\" is not in the zsh script"
    echo "$best"
done <"$TMP/help_lines" | sort >"$TMP/help_cmds"
diff -u "$TMP/help_cmds" "$TMP/zsh_cmds" || fail "commands differ between help and zsh completion"
echo "commands in ismsctl help and in the zsh script: $nhelp"

# --- the driver ------------------------------------------------------------------------------
cat >"$TMP/stubs.zsh" <<'EOF'
_describe() { local a=${@[-1]}; print -rl -- "D:${(@P)a}" }
compadd() { [[ $1 == -- ]] && shift; print -rl -- "C:$@" }
_files() { print -r -- "FILES" }
_message() { print -r -- "M:${@[-1]}" }
compset() { return 0 }
t() { words=("$@"); CURRENT=$#; _ismsctl; print -r -- "---" }
EOF
cat >"$TMP/cases.zsh" <<'EOF'
t ismsctl ''
t ismsctl risk ''
t ismsctl context party ''
t ismsctl --server 127.0.0.1:7370 -o json context party add --kind ''
t ismsctl context party add --kind=
t ismsctl asset export --file ''
t ismsctl -o ''
t ismsctl --ca ''
t ismsctl asset list --
t ismsctl help ''
t ismsctl status ''
EOF
# Sourced: compdef registers the function.
zsh -f -c "source $TMP/stubs.zsh; compdef() { print -r -- \"compdef \$*\" }
    source $TMP/_ismsctl; source $TMP/cases.zsh" >"$TMP/sourced.out" 2>&1 ||
    fail "sourced run failed: $(tail -n 5 "$TMP/sourced.out")"
# Autoloaded from $fpath as compinit does: the file's body is the function's first run.
mkdir "$TMP/fpath"
cp "$TMP/_ismsctl" "$TMP/fpath/_ismsctl"
zsh -f -c "source $TMP/stubs.zsh; compdef() { print -r -- \"compdef \$*\" }
    fpath=($TMP/fpath \$fpath); autoload -Uz _ismsctl; source $TMP/cases.zsh" \
    >"$TMP/autoload.out" 2>&1 || fail "autoloaded run failed: $(tail -n 5 "$TMP/autoload.out")"
grep -qx 'compdef _ismsctl ismsctl' "$TMP/sourced.out" || fail "sourcing does not call compdef"
! grep -q '^compdef' "$TMP/autoload.out" || fail "autoloading calls compdef"
# Both runs offer the same (after the compdef line).
diff <(grep -v '^compdef' "$TMP/sourced.out") "$TMP/autoload.out" >/dev/null ||
    fail "sourced and autoloaded completions differ"

# case N OUTPUT: the output of the Nth case (1-based).
case_out() {
    awk -v n="$1" 'BEGIN { k = 1 } /^---$/ { k++; next } k == n' "$TMP/autoload.out"
}
expect() { # expect N PATTERN WHAT
    case_out "$1" | grep -qE -- "$2" || fail "case $1 ($3): no line matching /$2/ in: $(case_out "$1" | head -n 5 | tr '\n' '|')"
}
reject() {
    ! case_out "$1" | grep -qE -- "$2" || fail "case $1 ($3): unexpected /$2/"
}
expect 1 '^D:help:' "nouns offered with descriptions"
expect 1 '^risk:risk register' "nouns offered with descriptions"
expect 1 '^completion:' "every noun"
reject 1 '^list:' "verbs only after their noun"
expect 2 '^D:|^[a-z]' "risk verbs"
expect 2 '^(D:)?create:' "risk verbs with summaries"
expect 3 '^(D:)?add:record an interested party' "a multi-word verb's last word"
expect 3 '^remove:' "a multi-word verb's last word"
expect 4 '^C:internal$' "enum choices after global options"
expect 4 '^external$' "enum choices"
expect 5 '^C:internal$' "enum choices after --flag="
expect 6 '^FILES$' "a file flag completes files"
expect 7 '^C:table$' "-o offers the formats"
expect 8 '^FILES$' "--ca completes files"
expect 9 '^D:--' "flags of asset list"
expect 9 '^--server:' "global options among the flags"
expect 10 '^D:(status|risk):' "help NOUN offers nouns"
reject 10 '^D:help:' "help help"
expect 11 '^D:--server:' "a complete command without flags offers the global options"

# Every command's flags and kinds come from the table: `<cmd> --help` lists the same flags.
zsh -f -c "compdef() { :; }; source $TMP/_ismsctl
    for c in \"\${_ismsctl_cmds[@]}\"; do [[ \$c == help ]] || print -r -- \"\$c|\${_ismsctl_flags[\$c]}\"; done" \
    >"$TMP/flags"
checked=0
while IFS='|' read -r c flags; do
    if [[ $c == *" "* ]]; then
        # shellcheck disable=SC2086  # the command's words are split on purpose
        want=$("$ISMSCTL" $c --help | sed -n '/^flags:/,/^$/p' | { grep -oE '^  --[a-z0-9-]+' || true; })
    else
        # `<noun> --help` of a one-word command is its noun's help: take the synopsis line.
        want=$(grep -E "^$c( |\$)" "$TMP/help_lines" | { grep -oE -- '--[a-z0-9-]+' || true; })
    fi
    want=$(printf '%s\n' "$want" | sed 's/^  //' | tr '\n' ' ' | sed 's/ *$//')
    [[ "$want" == "$flags" ]] || fail "$c: --help lists flags [$want], zsh [$flags]"
    checked=$((checked + 1))
done <"$TMP/flags"
echo "flags compared for $checked commands"

if ((fails > 0)); then
    echo "$fails check(s) failed"
    exit 1
fi
echo "zsh completion: all checks passed"
