/*
 * conntrackd plugin ABI: the C interface between the conntrackd core and its
 * plugins (sync modes, transports, helpers and outputs).
 *
 * COMPATIBILITY POLICY
 * --------------------
 * The ABI has a major and a minor version (CTD_PLUGIN_ABI_MAJOR/_MINOR below).
 *
 *  - A plugin is accepted only if its major equals the core's major and its
 *    minor is not newer than the core's minor.  So a plugin built against
 *    ABI 1.0 keeps loading into every 1.x core; a plugin built against 1.3
 *    is refused by a 1.2 core, because it may call services that core lacks.
 *  - Within a major version, nothing is ever removed, reordered or retyped.
 *    A minor version may only append: new members at the end of a struct,
 *    new callbacks at the end of a table, new constants.
 *  - Every struct that crosses the boundary starts with a `size` member
 *    holding sizeof() as its producer was compiled.  The reader never reads
 *    past that size and treats missing trailing members as absent (zero).
 *  - Only C types cross: fixed-width integers, NUL-terminated strings,
 *    pointer plus length, opaque handles.  No C++ types, no exceptions, no
 *    RTTI, no ownership transfer of memory allocated on the other side
 *    (each side frees what it allocated).
 *  - A plugin exports exactly one symbol, CTD_PLUGIN_ENTRY_SYMBOL.  It must
 *    not register itself from static constructors: the core checks the
 *    descriptor before it runs any other plugin code.
 *  - A plugin needs no symbol from the core: everything the host offers
 *    reaches it through struct ctd_host_api.
 *
 * The major version changes only for an incompatible change; the core then
 * refuses every plugin of the old major with a clear message.
 *
 * This header is self-contained C99 and is also valid C++.
 */
#ifndef CONNTRACKD_PLUGIN_H
#define CONNTRACKD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CTD_PLUGIN_ABI_MAJOR 1
#define CTD_PLUGIN_ABI_MINOR 1

/* The one symbol a plugin exports: a function returning its descriptor. */
#define CTD_PLUGIN_ENTRY_SYMBOL "ctd_plugin_entry"

#if defined(__GNUC__)
#define CTD_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define CTD_PLUGIN_EXPORT
#endif

/* ---------------------------------------------------------------------- */
/* Kinds.  The kind is also part of the file name: ct_<kind>_<name>.so.   */

#define CTD_PLUGIN_KIND_SYNC      1u /* sync mode: notrack, ftfw, alarm... */
#define CTD_PLUGIN_KIND_TRANSPORT 2u /* sync link: udp, tcp, mcast... */
#define CTD_PLUGIN_KIND_HELPER    3u /* user-space conntrack helper */
#define CTD_PLUGIN_KIND_OUTPUT    4u /* stats mode output: flow log, xml... */

/* Log priorities: the syslog(3) values. */
#define CTD_LOG_ERR     3u
#define CTD_LOG_WARNING 4u
#define CTD_LOG_NOTICE  5u
#define CTD_LOG_INFO    6u
#define CTD_LOG_DEBUG   7u

/* ---------------------------------------------------------------------- */
/* Configuration keys a plugin declares, and the values it receives.       */

#define CTD_CONFIG_STRING  1u /* a word, e.g. an interface name */
#define CTD_CONFIG_BOOL    2u /* on/off/yes/no, case-insensitive */
#define CTD_CONFIG_UINT    3u /* unsigned decimal, range [min, max] */
#define CTD_CONFIG_PATH    4u /* absolute path */
#define CTD_CONFIG_ADDRESS 5u /* IPv4 or IPv6 address, optional /cidr */
#define CTD_CONFIG_INT     6u /* signed decimal, range [min, max] as int64 */

#define CTD_CONFIG_REQUIRED   0x1u /* the block must set it */
#define CTD_CONFIG_REPEATABLE 0x2u /* may appear more than once */

struct ctd_config_key {
	const char *name;          /* keyword as written in conntrackd.conf */
	uint32_t type;             /* CTD_CONFIG_* */
	uint32_t flags;            /* CTD_CONFIG_REQUIRED | _REPEATABLE */
	const char *default_value; /* textual default, NULL for none */
	const char *help;          /* one line, shown by --plugin-info */
	int64_t min, max;          /* for UINT/INT; both 0 means no limit */
};

/* One value of the plugin's block, already checked by the core against the
 * declared key.  Keys left out of the config come with their default. */
struct ctd_config_value {
	const char *key;      /* the declared key name */
	const char *text;     /* the value as written (or the default) */
	int64_t number;       /* UINT/INT: the value; BOOL: 0 or 1 */
	uint32_t line;        /* config line, 0 for a default */
	uint32_t is_default;  /* 1 if the config did not set it */
};

struct ctd_config {
	uint32_t size;
	const char *file;                      /* config file name, for messages */
	const char *block;                     /* e.g. "Stats", "Sync/UDP" */
	const struct ctd_config_value *values; /* in file order */
	size_t count;
};

/* ---------------------------------------------------------------------- */
/* Flows as plain C data.                                                  */

union ctd_address {
	uint32_t v4;      /* network byte order */
	uint8_t v6[16];   /* network byte order */
	uint32_t v6w[4];
};

struct ctd_tuple {
	uint8_t l3proto;  /* AF_INET or AF_INET6 */
	uint8_t l4proto;  /* IPPROTO_* */
	uint16_t reserved;
	union ctd_address src, dst;
	union {
		struct { uint16_t sport, dport; } port;        /* host order */
		struct { uint8_t type, code; uint16_t id; } icmp; /* id host order */
		struct { uint16_t skey, dkey; } gre;           /* host order */
	} l4;
};

/* Which members of struct ctd_flow hold a value. */
#define CTD_FLOW_ORIG       (1ull << 0)
#define CTD_FLOW_REPLY      (1ull << 1)
#define CTD_FLOW_STATUS     (1ull << 2)
#define CTD_FLOW_TIMEOUT    (1ull << 3)
#define CTD_FLOW_MARK       (1ull << 4)
#define CTD_FLOW_SECMARK    (1ull << 5)
#define CTD_FLOW_ID         (1ull << 6)
#define CTD_FLOW_USE        (1ull << 7)
#define CTD_FLOW_ZONE       (1ull << 8)
#define CTD_FLOW_ORIG_ZONE  (1ull << 9)
#define CTD_FLOW_REPLY_ZONE (1ull << 10)
#define CTD_FLOW_STATE      (1ull << 11) /* tcp/sctp/dccp state */
#define CTD_FLOW_COUNTERS   (1ull << 12)
#define CTD_FLOW_TIMESTAMP  (1ull << 13) /* start (and stop if non-zero) */
#define CTD_FLOW_HELPER     (1ull << 14)
#define CTD_FLOW_LABELS     (1ull << 15)
#define CTD_FLOW_SECCTX     (1ull << 16)

struct ctd_flow {
	uint32_t size;
	uint32_t reserved;
	uint64_t present;          /* CTD_FLOW_* */
	struct ctd_tuple orig, reply;
	uint32_t status;           /* kernel IPS_* bits */
	uint32_t timeout;          /* seconds */
	uint32_t mark, secmark, id, use;
	uint16_t zone, orig_zone, reply_zone;
	uint8_t state;             /* TCP_CONNTRACK_* / SCTP / DCCP state */
	uint8_t reserved2;
	uint64_t orig_packets, orig_bytes, reply_packets, reply_bytes;
	uint64_t start_ns, stop_ns; /* CLOCK_REALTIME nanoseconds */
	char helper[16];
	uint32_t labels[4];        /* 128 label bits, bit b of word w = label 32w+b */
	const char *secctx;        /* NUL-terminated, valid during the call */
};

/* Text formats the host can render a flow in (host_api->flow_format). */
#define CTD_FORMAT_PLAIN    1u /* conntrack -L default line */
#define CTD_FORMAT_EXTENDED 2u /* conntrack -L -o extended */
#define CTD_FORMAT_XML      3u /* conntrack -L -o xml, one <flow> element */

/* Event types. */
#define CTD_EVENT_NEW     1u
#define CTD_EVENT_UPDATE  2u
#define CTD_EVENT_DESTROY 4u
/* ABI 1.1, sync modes only (ctd_sync_ops.local_change): the object entered
 * the internal cache from a dump of the kernel table, not from an event
 * (the table the daemon finds at startup).  The reference sends nothing
 * for such objects, but ALARM arms their refresh timers.  A mode ignores
 * event values it does not know. */
#define CTD_EVENT_LOADED  8u

/* ---------------------------------------------------------------------- */
/* Services the host offers to a plugin.                                  */

struct ctd_host;   /* opaque: one per loaded plugin */
struct ctd_timer;  /* opaque */
/* An object of the internal cache (sync modes), see below.  Declared here
 * because the sync services name it: in C, a struct first named inside a
 * parameter list would be a different type from the one plugins use. */
struct ctd_object;

/* fd readiness events for fd_watch. */
#define CTD_FD_READ  0x1u
#define CTD_FD_WRITE 0x4u

typedef void (*ctd_fd_callback)(void *user, int fd, uint32_t events);
typedef void (*ctd_timer_callback)(void *user);

struct ctd_host_api {
	uint32_t size;
	uint16_t abi_major, abi_minor;

	/* Logging.  The host prefixes every line with the plugin's name and
	 * routes it to the console, the log file or syslog as configured. */
	void (*log)(struct ctd_host *host, uint32_t priority, const char *message);

	/* Main loop.  Callbacks run on the daemon's only thread. */
	int (*fd_watch)(struct ctd_host *host, int fd, uint32_t events,
	                ctd_fd_callback callback, void *user);
	void (*fd_unwatch)(struct ctd_host *host, int fd);
	struct ctd_timer *(*timer_new)(struct ctd_host *host,
	                               ctd_timer_callback callback, void *user);
	/* First expiry after `delay_us`, then every `interval_us` (0: once). */
	void (*timer_arm)(struct ctd_timer *timer, uint64_t delay_us, uint64_t interval_us);
	void (*timer_disarm)(struct ctd_timer *timer);
	void (*timer_free)(struct ctd_timer *timer);
	uint64_t (*monotonic_us)(struct ctd_host *host);

	/* Counters, shown by `conntrackd -s` under the plugin's name.  Returns
	 * an id for counter_add, or UINT32_MAX if it cannot be registered. */
	uint32_t (*counter_new)(struct ctd_host *host, const char *name, const char *help);
	void (*counter_add)(struct ctd_host *host, uint32_t counter, uint64_t delta);

	/* Renders a flow the way `conntrack` prints it.  Returns the length of
	 * the full text (which may exceed `len`, as with snprintf). */
	size_t (*flow_format)(struct ctd_host *host, const struct ctd_flow *flow,
	                      uint32_t format, char *buf, size_t len);

	/* ABI 1.1.  A transport reports a change of its connections
	 * (CTD_TRANSPORT_EVENT_*) on the link it created for `link_context`.
	 * Plugins check `size` first: a 1.0 core does not have it. */
	void (*transport_event)(struct ctd_host *host, void *link_context, uint32_t event);

	/* ABI 1.1: services for sync modes (NULL for other plugins). */
	/* The mode's private area of an object (object_area_size bytes). */
	void *(*object_area)(struct ctd_host *host, struct ctd_object *object);
	/* The object an area belongs to. */
	struct ctd_object *(*object_of_area)(struct ctd_host *host, void *area);
	uint32_t (*object_state)(struct ctd_host *host, struct ctd_object *object);
	/* A held object outlives its destruction until released. */
	void (*object_hold)(struct ctd_host *host, struct ctd_object *object);
	void (*object_release)(struct ctd_host *host, struct ctd_object *object);
	/* Visits every live object of the internal cache. */
	void (*cache_iterate)(struct ctd_host *host,
	                      void (*visit)(void *user, struct ctd_object *object), void *user);
	/* Sends an object as a state message of the type its state says, with
	 * these header flags.  Returns the sequence number it got. */
	uint32_t (*send_object)(struct ctd_host *host, struct ctd_object *object, uint8_t flags);
	/* Sends a control message; `from` and `to` are used by ACK, NACK and
	 * RESYNC.  Returns the sequence number it got. */
	uint32_t (*send_control)(struct ctd_host *host, uint8_t flags, uint32_t from, uint32_t to);
	/* Pushes out what is batched now (the core also does at the end of
	 * each main-loop round). */
	void (*send_flush)(struct ctd_host *host);
	/* Classifies a received sequence number (CTD_SEQ_*), counting losses
	 * for `-s network`, and records it as the last one received. */
	uint32_t (*seq_track)(struct ctd_host *host, uint32_t seq);
	void (*seq_update)(struct ctd_host *host, uint32_t seq);
	/* Makes flows received from the peer expire from the external cache
	 * after `seconds` without an update (ALARM's CacheTimeout); 0: never. */
	void (*set_external_timeout)(struct ctd_host *host, uint32_t seconds);
	/* Dumps the kernel's conntrack table and sends every flow the filter
	 * accepts as a NEW state message.  A mode's bulk send (-B, or its
	 * answer to a RESYNC) when there is no internal cache to iterate
	 * (NOTRACK with DisableInternalCache).  May be NULL: check `size`. */
	void (*send_kernel_table)(struct ctd_host *host);
};

/* ---------------------------------------------------------------------- */
/* Kind-specific operation tables.  Every `create` gets the host handle and
 * the plugin's config block; on failure it returns NULL after writing one
 * line of explanation into `error` (at most `error_len` bytes).            */

/* Output (stats mode): receives every flow that ended. */
struct ctd_output_ops {
	uint32_t size;
	void *(*create)(struct ctd_host *host, const struct ctd_config *config,
	                char *error, size_t error_len);
	void (*destroy)(void *instance);
	/* A flow ended at `when_us` (CLOCK_REALTIME microseconds).  Returns 0,
	 * or a negative errno if the record could not be written. */
	int (*write_flow)(void *instance, const struct ctd_flow *flow, uint64_t when_us);
	/* Reopen files (log rotation).  0 or negative errno. */
	int (*reopen)(void *instance);
	/* Push buffered records out.  0 or negative errno. */
	int (*flush)(void *instance);
};

/* Transport (a sync link).  The transport owns its sockets and watches them
 * with fd_watch; it hands what it receives to the host through
 * ctd_transport_deliver given at create time.  The core may send on any
 * link from inside deliver (an ACK, say), but must not destroy the link
 * that is delivering. */
typedef void (*ctd_transport_deliver)(void *link_context, const void *data, size_t len);

#define CTD_TRANSPORT_STREAM 0x1u /* byte stream: messages may span reads */

/* Connection events of connection-oriented links (ABI 1.1, reported through
 * host_api->transport_event).  A stream link delivers the bytes of one
 * inbound connection in order; PEER_UP starts a new stream, so the core
 * drops any partial message it kept from the previous one. */
#define CTD_TRANSPORT_EVENT_PEER_UP     1u /* a peer connected to our server */
#define CTD_TRANSPORT_EVENT_PEER_DOWN   2u /* that inbound connection ended */
#define CTD_TRANSPORT_EVENT_CLIENT_UP   3u /* our outbound connection is up */
#define CTD_TRANSPORT_EVENT_CLIENT_DOWN 4u /* our outbound connection was lost */

struct ctd_transport_stats {
	uint32_t size;
	uint32_t reserved;
	uint64_t bytes_sent, bytes_received;
	uint64_t packets_sent, packets_received;
	uint64_t send_errors, receive_errors;
	/* ABI 1.1: the link's retry queue (TCP's error queue of
	 * ErrorQueueLength batches; 0 for links without one), which `-s queue`
	 * shows as errorq. */
	uint64_t queue_length;    /* batches waiting now */
	uint64_t queue_capacity;  /* the most it holds */
	uint64_t queue_overflows; /* batches dropped because it was full */
};

/* What the core needs to know about a link's network interface (ABI 1.1):
 * the index for carrier monitoring, the name for `-s link`. */
struct ctd_transport_info {
	uint32_t size;
	uint32_t ifindex;  /* index of the link's Interface */
	char ifname[16];   /* its name (IFNAMSIZ), NUL-terminated */
	uint32_t mtu;      /* its MTU when the link was created */
	uint32_t family;   /* AF_INET or AF_INET6 */
};

struct ctd_transport_ops {
	uint32_t size;
	uint32_t flags; /* CTD_TRANSPORT_* */
	void *(*create)(struct ctd_host *host, const struct ctd_config *config,
	                ctd_transport_deliver deliver, void *link_context,
	                char *error, size_t error_len);
	void (*destroy)(void *link);
	/* Send one batch of whole messages.  Returns 0 or a negative errno.  A
	 * connection-oriented link also returns 0 when it kept the batch to
	 * send it once the connection is back (TCP's error queue). */
	int (*send)(void *link, const void *data, size_t len);
	/* Largest batch `send` takes: the link MTU minus headers. */
	uint32_t (*max_payload)(void *link);
	void (*stats)(void *link, struct ctd_transport_stats *out);
	/* Human-readable state for `-s link`, e.g. "server=connected". */
	size_t (*describe)(void *link, char *buf, size_t len);
	/* ABI 1.1, may be NULL.  Fills `out` (never past out->size). */
	void (*info)(void *link, struct ctd_transport_info *out);
};

/* Sync mode: decides what is sent when, and what received messages mean.
 * The core owns the caches, the message encoding, the sequence numbers and
 * the links; a mode works on opaque objects of the internal cache and on
 * message headers, through the sync services of ctd_host_api (ABI 1.1). */

/* An object of the internal cache (a flow or an expectation). */
struct ctd_object;

/* Object states: what message type an object is sent as. */
#define CTD_OBJECT_NEW   0u /* sent as NEW */
#define CTD_OBJECT_ALIVE 1u /* updated since: sent as UPDATE */
#define CTD_OBJECT_DEAD  2u /* destroyed: sent as DELETE, kept while held */

/* A received message's header, already checked by the core. */
struct ctd_sync_message {
	uint32_t size;
	uint8_t type;     /* 0-5: state messages, 10: control */
	uint8_t flags;    /* CTD_SYNC_F_* */
	uint16_t length;
	uint32_t seq;
	uint32_t from, to; /* the range of ACK, NACK and RESYNC */
};

/* Header flags of the wire protocol. */
#define CTD_SYNC_F_RESYNC     0x02u
#define CTD_SYNC_F_NACK       0x04u
#define CTD_SYNC_F_ACK        0x08u
#define CTD_SYNC_F_ALIVE      0x10u
#define CTD_SYNC_F_HELLO      0x20u
#define CTD_SYNC_F_HELLO_BACK 0x40u

/* What a mode decides about a received message (receive()). */
#define CTD_SYNC_MSG_DATA 0 /* a state message to apply */
#define CTD_SYNC_MSG_CTL  1 /* a control message the mode consumed */
#define CTD_SYNC_MSG_DROP 2 /* ignore it */
#define CTD_SYNC_MSG_BAD  3 /* a malformed header: counted as such */

/* Receiver sequence tracking (host_api->seq_track). */
#define CTD_SEQ_UNSET   0u /* first message from the peer */
#define CTD_SEQ_IN_SYNC 1u /* the one expected */
#define CTD_SEQ_AFTER   2u /* later than expected: messages were lost */
#define CTD_SEQ_BEFORE  3u /* older than expected */

/* Queue statistics for `-s queue` and `-s rsqueue`. */
struct ctd_queue_stats {
	uint32_t size;
	uint32_t reserved;
	uint64_t length, capacity, overflows;
};

struct ctd_sync_ops {
	uint32_t size;
	void *(*create)(struct ctd_host *host, const struct ctd_config *config,
	                char *error, size_t error_len);
	void (*destroy)(void *instance);
	/* ABI 1.1. */
	/* Bytes of private area the mode wants in every internal-cache object
	 * (host_api->object_area), e.g. for its queue links. */
	uint32_t object_area_size;
	uint32_t reserved;
	/* An object of the internal cache was created, updated or destroyed
	 * (CTD_EVENT_NEW/UPDATE/DESTROY), or loaded from the kernel table
	 * (CTD_EVENT_LOADED); the mode schedules what to send. */
	void (*local_change)(void *instance, struct ctd_object *object, uint32_t event);
	/* A message arrived; returns CTD_SYNC_MSG_*. */
	int (*receive)(void *instance, const struct ctd_sync_message *message);
	/* `conntrackd -B`: send the whole internal cache. */
	void (*send_bulk)(void *instance);
	/* `conntrackd -n` and StartupResync: ask the peer for its cache.  NULL
	 * for modes that cannot. */
	void (*request_resync)(void *instance);
	/* Queue statistics: which 0 = the transmit queue, 1 = the resend queue;
	 * returns 0 if the mode has no such queue. */
	int (*queue_stats)(void *instance, uint32_t which, struct ctd_queue_stats *out);
	/* Writes the `-s rsqueue` listing to `fd`; NULL for modes without one. */
	void (*dump_resend_queue)(void *instance, int fd);
};

/* Helper: inspects packets queued by the kernel for a conntrack helper.
 * Packet and flow access is a host service (added with the helper work). */
#define CTD_VERDICT_ACCEPT 1u
#define CTD_VERDICT_DROP   0u

struct ctd_helper_policy {
	const char *name;
	uint32_t expect_max;
	uint32_t expect_timeout;
};

struct ctd_helper_ops {
	uint32_t size;
	uint8_t l4proto;                          /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t reserved[3];
	const struct ctd_helper_policy *policies; /* default policies */
	uint32_t policy_count;
	uint32_t private_size;                    /* per-flow private data bytes */
	void *(*create)(struct ctd_host *host, const struct ctd_config *config,
	                char *error, size_t error_len);
	void (*destroy)(void *instance);
};

/* ---------------------------------------------------------------------- */
/* The descriptor.                                                         */

struct ctd_plugin_descriptor {
	uint32_t size;                   /* sizeof(struct ctd_plugin_descriptor) */
	uint16_t abi_major, abi_minor;   /* CTD_PLUGIN_ABI_* the plugin was built with */
	uint32_t kind;                   /* CTD_PLUGIN_KIND_* */
	uint32_t reserved;
	const char *name;                /* [a-z0-9_]+, equals the file name's part */
	const char *version;             /* the plugin's own version */
	const char *description;         /* one line */
	const struct ctd_config_key *config_keys; /* may be NULL */
	uint32_t config_key_count;
	uint32_t reserved2;
	/* Called once after the checks passed, before any `create`.  Returns 0,
	 * or non-zero after writing one line into `error`. */
	int (*init)(const struct ctd_host_api *api, struct ctd_host *host,
	            char *error, size_t error_len);
	void (*fini)(void);              /* may be NULL */
	const void *ops;                 /* struct ctd_<kind>_ops */
};

typedef const struct ctd_plugin_descriptor *(*ctd_plugin_entry_fn)(void);

/* Loader results, also the exit status of `conntrackd --check-plugin`. */
#define CTD_LOAD_OK               0
#define CTD_LOAD_NOT_FOUND        10
#define CTD_LOAD_NOT_LOADABLE     11
#define CTD_LOAD_NO_ENTRY         12
#define CTD_LOAD_BAD_DESCRIPTOR   13
#define CTD_LOAD_ABI_MAJOR        14
#define CTD_LOAD_ABI_MINOR_NEWER  15
#define CTD_LOAD_WRONG_KIND       16
#define CTD_LOAD_WRONG_NAME       17
#define CTD_LOAD_DUPLICATE        18
#define CTD_LOAD_INIT_FAILED      19

#ifdef __cplusplus
}
#endif

#endif /* CONNTRACKD_PLUGIN_H */
