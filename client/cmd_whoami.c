/* client/cmd_whoami.c — `ismsctl whoami`: the account behind the token in use (Auth/WhoAmI),
 * with its roles and how it authenticated (session or API token). */
#include "account.h"
#include "cli.h"

#include "isms/v1/auth.pb-c.h"

static enum isms_code render_whoami(struct isms_cli *cli, const struct isms_args *a,
                                    ProtobufCMessage *msg, struct isms_out *out,
                                    struct isms_status *st)
{
    (void)cli;
    (void)a;
    (void)st;
    isms_account_record(out, (const Isms__V1__UserAccount *)msg, true);
    return ISMS_OK;
}

static const struct isms_cmd whoami_cmds[] = {
    {.noun = "whoami",
     .verb = "",
     .summary = "the logged-in account: name, roles, status, and auth_kind (session or token:NAME)",
     .req = &isms__v1__who_am_irequest__descriptor,
     .method = "/isms.v1.Auth/WhoAmI",
     .resp = &isms__v1__user_account__descriptor,
     .render = render_whoami},
};

const struct isms_noun isms_noun_whoami = {
    "whoami",
    "show who the saved token (or ISMS_TOKEN) belongs to",
    whoami_cmds,
    sizeof(whoami_cmds) / sizeof(whoami_cmds[0]),
};
