/* tests/unit/test_registry.c — handlers and role masks are bound to proto methods by name:
 * the order of a spec table does not matter, and a method without exactly one spec, a spec
 * naming no method, or a mask that contradicts the flags stops registration (ismsd then
 * refuses to start). A swapped pair of rpc lines once routed Update's body to Get's handler. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "domain/domain.h"
#include "isms/v1/system.pb-c.h"
#include "rpc/registry.h"
#include "rpc/server.h"

static void h_health(struct isms_call *call, const ProtobufCMessage *req)
{
    (void)call;
    (void)req;
}

static void h_info(struct isms_call *call, const ProtobufCMessage *req)
{
    (void)call;
    (void)req;
}

static struct isms_registry reg;

static void setup(void)
{
    isms_registry_init(&reg);
}

static void teardown(void)
{
    isms_registry_cleanup(&reg);
}

TestSuite(registry, .init = setup, .fini = teardown);

Test(registry, specs_bind_by_name_whatever_their_order)
{
    /* Listed in the opposite order of system.proto (Health, Info). */
    const struct isms_method_spec specs[] = {
        {"Info", h_info, 0, 1u << 3},
        {"Health", h_health, ISMS_METHOD_PUBLIC, 0},
    };
    struct isms_status st;
    const struct isms_method *m;

    cr_assert_eq(isms_registry_add(&reg, &isms__v1__system__descriptor, specs, 2, &st), ISMS_OK,
                 "%s", st.msg);
    isms_registry_seal(&reg);
    m = isms_registry_find(&reg, "/isms.v1.System/Health");
    cr_assert_not_null(m);
    cr_expect_eq(m->handler, h_health);
    cr_expect_eq(m->flags, ISMS_METHOD_PUBLIC);
    cr_expect_eq(m->input, &isms__v1__health_request__descriptor);
    m = isms_registry_find(&reg, "/isms.v1.System/Info");
    cr_assert_not_null(m);
    cr_expect_eq(m->handler, h_info);
    cr_expect_eq(m->roles, 1u << 3, "Info keeps its own role mask, not Health's");
    cr_expect_eq(m->input, &isms__v1__info_request__descriptor);
    cr_expect_eq(isms_registry_count(&reg), 2);
}

Test(registry, a_method_without_a_spec_is_refused)
{
    const struct isms_method_spec specs[] = {{"Health", h_health, ISMS_METHOD_PUBLIC, 0}};
    struct isms_status st;

    cr_assert_eq(isms_registry_add(&reg, &isms__v1__system__descriptor, specs, 1, &st),
                 ISMS_INTERNAL);
    cr_expect(strstr(st.msg, "/isms.v1.System/Info has no handler") != NULL, "%s", st.msg);
}

Test(registry, two_specs_for_one_method_are_refused)
{
    const struct isms_method_spec specs[] = {
        {"Health", h_health, ISMS_METHOD_PUBLIC, 0},
        {"Info", h_info, ISMS_METHOD_PUBLIC, 0},
        {"Info", h_health, ISMS_METHOD_PUBLIC, 0},
    };
    struct isms_status st;

    cr_assert_eq(isms_registry_add(&reg, &isms__v1__system__descriptor, specs, 3, &st),
                 ISMS_INTERNAL);
    cr_expect(strstr(st.msg, "more than one handler") != NULL, "%s", st.msg);
}

Test(registry, a_spec_naming_no_method_is_refused)
{
    const struct isms_method_spec specs[] = {
        {"Health", h_health, ISMS_METHOD_PUBLIC, 0},
        {"Info", h_info, ISMS_METHOD_PUBLIC, 0},
        {"Reboot", h_info, ISMS_METHOD_PUBLIC, 0},
    };
    struct isms_status st;

    cr_assert_eq(isms_registry_add(&reg, &isms__v1__system__descriptor, specs, 3, &st),
                 ISMS_INTERNAL);
    cr_expect(strstr(st.msg, "has no method Reboot") != NULL, "%s", st.msg);
}

Test(registry, role_masks_must_match_the_flags)
{
    const struct isms_method_spec no_role[] = {
        {"Health", h_health, ISMS_METHOD_PUBLIC, 0},
        {"Info", h_info, 0, 0}, /* neither open nor any role: would lock everyone out */
    };
    const struct isms_method_spec open_and_roles[] = {
        {"Health", h_health, ISMS_METHOD_PUBLIC, 1u << 1},
        {"Info", h_info, ISMS_METHOD_ANY_ROLE, 0},
    };
    const struct isms_method_spec no_handler[] = {
        {"Health", NULL, ISMS_METHOD_PUBLIC, 0},
        {"Info", h_info, ISMS_METHOD_ANY_ROLE, 0},
    };
    struct isms_status st;

    cr_expect_eq(isms_registry_add(&reg, &isms__v1__system__descriptor, no_role, 2, &st),
                 ISMS_INTERNAL);
    cr_expect(strstr(st.msg, "names no role") != NULL, "%s", st.msg);
    isms_registry_cleanup(&reg);
    isms_registry_init(&reg);
    cr_expect_eq(isms_registry_add(&reg, &isms__v1__system__descriptor, open_and_roles, 2, &st),
                 ISMS_INTERNAL);
    cr_expect(strstr(st.msg, "open to every caller and also names roles") != NULL, "%s", st.msg);
    isms_registry_cleanup(&reg);
    isms_registry_init(&reg);
    cr_expect_eq(isms_registry_add(&reg, &isms__v1__system__descriptor, no_handler, 2, &st),
                 ISMS_INTERNAL);
    cr_expect(strstr(st.msg, "has no handler") != NULL, "%s", st.msg);
}

Test(registry, the_same_method_twice_across_services_is_refused)
{
    const struct isms_method_spec specs[] = {
        {"Health", h_health, ISMS_METHOD_PUBLIC, 0},
        {"Info", h_info, ISMS_METHOD_PUBLIC, 0},
    };
    struct isms_status st;

    cr_assert_eq(isms_registry_add(&reg, &isms__v1__system__descriptor, specs, 2, &st), ISMS_OK);
    cr_assert_eq(isms_registry_add(&reg, &isms__v1__system__descriptor, specs, 2, &st),
                 ISMS_INTERNAL);
    cr_expect(strstr(st.msg, "registered twice") != NULL, "%s", st.msg);
}

/* ISMS_METHOD_STREAM puts a method's statements in the pool's bulk lane; it must be set on
 * exactly the methods the proto files declare `returns (stream ...)`. */
Test(registry, stream_flags_match_the_proto_files)
{
    static struct isms_server srv;
    struct isms_status st;
    char cmd[1200], line[512];
    int streams = 0;
    FILE *f;

    isms_registry_init(&srv.reg);
    cr_assert_eq(isms_domain_register_all(&srv, &st), ISMS_OK, "%s", st.msg);
    isms_registry_seal(&srv.reg);
    /* "/isms.v1.<Service>/<Method>" of every streaming rpc, from the proto sources. */
    snprintf(cmd, sizeof(cmd),
             "awk '/^service /{s=$2} /returns \\(stream /{m=$2; sub(/\\(.*/, \"\", m);"
             " print \"/isms.v1.\" s \"/\" m}' '%s'/proto/isms/v1/*.proto",
             ISMS_TEST_SOURCE_DIR);
    f = popen(cmd, "r");
    cr_assert_not_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        const struct isms_method *m;

        line[strcspn(line, "\n")] = '\0';
        m = isms_registry_find(&srv.reg, line);
        cr_assert_not_null(m, "%s is in the proto files but not registered", line);
        cr_expect(m->flags & ISMS_METHOD_STREAM, "%s streams but lacks ISMS_METHOD_STREAM", line);
        streams++;
    }
    cr_assert_eq(pclose(f), 0);
    cr_assert_gt(streams, 0, "no streaming rpc found in the proto files");
    {
        int flagged = 0;

        for (size_t i = 0; i < isms_registry_count(&srv.reg); i++)
            flagged += (isms_registry_at(&srv.reg, i)->flags & ISMS_METHOD_STREAM) != 0;
        cr_expect_eq(flagged, streams, "%d methods flagged ISMS_METHOD_STREAM, %d stream", flagged,
                     streams);
    }
    isms_registry_cleanup(&srv.reg);
}
