#!/bin/bash
# plugin.h is C99: a sync mode written in C can name struct ctd_object and
# pass it to the host's sync services.  (A struct first named inside a
# parameter list would be a different type in C, so this fails to compile
# with -Werror if the header declares it in the wrong place.)
. "$CTD_TESTS_SRCDIR/lib/tap.sh"

work=$(mktemp -d /tmp/ctd-c-header.XXXXXX)
trap 'rm -rf "$work"' EXIT

cat > "$work/mode.c" <<'C'
#include <conntrackd/plugin.h>

struct queue_link { struct queue_link *next; };

/* What a mode does with an object: find its area, hold it, send it. */
uint32_t queue_and_send(const struct ctd_host_api *api, struct ctd_host *host,
                        struct ctd_object *object)
{
	struct queue_link *link = api->object_area(host, object);
	struct ctd_object *back = api->object_of_area(host, link);
	api->object_hold(host, back);
	link->next = 0;
	return api->send_object(host, back, CTD_SYNC_F_HELLO);
}

static void visit(void *user, struct ctd_object *object)
{
	(void)user;
	(void)object;
}

void walk(const struct ctd_host_api *api, struct ctd_host *host)
{
	api->cache_iterate(host, visit, 0);
	if (api->size >= offsetof(struct ctd_host_api, send_kernel_table) + sizeof api->send_kernel_table &&
	    api->send_kernel_table)
		api->send_kernel_table(host);
}
C

cc=${CC:-cc}
if ! command -v "$cc" > /dev/null; then
    _tap_result 1 "a C compiler ($cc) is installed"
else
    "$cc" -std=c99 -Wall -Wextra -pedantic -Werror -I"$CTD_TOP_SRCDIR/include" \
        -c "$work/mode.c" -o "$work/mode.o" > "$work/cc.log" 2>&1
    ok "plugin.h compiles as C99, warning-free, for a sync mode in C" test $? -eq 0 ||
        tap_diag "$(cat "$work/cc.log")"
fi

tap_done
