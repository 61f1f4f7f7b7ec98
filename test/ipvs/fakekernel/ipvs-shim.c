/*
 * A fake IPVS kernel for running the real /usr/sbin/ipvsadm on a kernel without ip_vs.
 * Loaded with LD_PRELOAD, it replaces the libnl calls ipvsadm's libipvs makes
 * (genl_connect, genl_ctrl_resolve, nl_socket_modify_cb/_err_cb, nl_send_auto_complete,
 * nl_recvmsgs_default) and answers the IPVS generic-netlink commands from a table kept in
 * the file named by $IPVS_SHIM_STATE, with the errno values of net/netfilter/ipvs/ip_vs_ctl.c.
 * Replies are built with libnl's own message functions, so ipvsadm parses them as it would
 * parse the kernel's. Test tool only: it lets the tests compare test/bin/ipvsadm with the
 * real binary's parsing, messages, exit codes and output formats.
 *
 * Build: cc -shared -fPIC -o ipvs-shim.so ipvs-shim.c \
 *          /usr/lib/x86_64-linux-gnu/libnl-3.so.200 /usr/lib/x86_64-linux-gnu/libnl-genl-3.so.200
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>
#include <linux/ip_vs.h>

struct nl_msg;
struct nl_sock;
struct sockaddr_nl;
typedef int (*valid_cb_t)(struct nl_msg *, void *);
typedef int (*err_cb_t)(struct sockaddr_nl *, struct nlmsgerr *, void *);

extern struct nl_msg *nlmsg_alloc(void);
extern void nlmsg_free(struct nl_msg *);
extern struct nlmsghdr *nlmsg_hdr(struct nl_msg *);
extern void *genlmsg_put(struct nl_msg *, uint32_t, uint32_t, int, int, int, uint8_t, uint8_t);
extern int nla_put(struct nl_msg *, int, int, const void *);
extern struct nlattr *nla_nest_start(struct nl_msg *, int);
extern int nla_nest_end(struct nl_msg *, struct nlattr *);

#define FAMILY 0x42
#define MAXS 256
#define MAXD 256

struct dest { uint16_t af; uint8_t addr[16]; uint16_t port; uint32_t fwd, weight, u, l; uint8_t tun_type; uint16_t tun_port, tun_flags; };
struct svc {
	uint16_t af, protocol; uint8_t addr[16]; uint16_t port; uint32_t fwmark;
	char sched[16]; char pe[32]; uint32_t flags, timeout, netmask;
	int ndests; struct dest dests[MAXD];
};
static struct svc table[MAXS];
static int nsvc;
static uint32_t to_tcp = 900, to_tcpfin = 120, to_udp = 300;

static valid_cb_t valid_cb;
static void *valid_arg;
static err_cb_t err_cb;
static void *err_arg;
static struct nl_msg *replies[MAXS * 2 + MAXD];
static int nreplies;
static int pending_err;

static const char *state_path(void) { const char *p = getenv("IPVS_SHIM_STATE"); return p ? p : "ipvs-shim.state"; }

static void hex(FILE *f, const uint8_t *b, int n) { for (int i = 0; i < n; i++) fprintf(f, "%02x", b[i]); }
static void unhex(const char *s, uint8_t *b, int n) { for (int i = 0; i < n; i++) { unsigned v; sscanf(s + 2 * i, "%2x", &v); b[i] = v; } }

static void load(void)
{
	FILE *f = fopen(state_path(), "r");
	char line[512], a[40];
	nsvc = 0;
	if (!f) return;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == 'S' && nsvc < MAXS) {
			struct svc *s = &table[nsvc++];
			unsigned af, pr, port;
			memset(s, 0, sizeof(*s));
			sscanf(line, "S %u %u %32s %u %u %15s %31s %u %u %u", &af, &pr, a, &port, &s->fwmark, s->sched, s->pe, &s->flags, &s->timeout, &s->netmask);
			if (!strcmp(s->pe, "-")) s->pe[0] = 0;
			s->af = af; s->protocol = pr; s->port = port; unhex(a, s->addr, 16);
		} else if (line[0] == 'D' && nsvc > 0) {
			struct svc *s = &table[nsvc - 1];
			struct dest *d = &s->dests[s->ndests++];
			unsigned af, port, tt, tp, tf;
			sscanf(line, "D %u %32s %u %u %u %u %u %u %u %u", &af, a, &port, &d->fwd, &d->weight, &d->u, &d->l, &tt, &tp, &tf);
			d->af = af; d->port = port; d->tun_type = tt; d->tun_port = tp; d->tun_flags = tf; unhex(a, d->addr, 16);
		} else if (line[0] == 'T') {
			sscanf(line, "T %u %u %u", &to_tcp, &to_tcpfin, &to_udp);
		}
	}
	fclose(f);
}

static void save(void)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", state_path());
	FILE *f = fopen(tmp, "w");
	if (!f) return;
	fprintf(f, "T %u %u %u\n", to_tcp, to_tcpfin, to_udp);
	for (int i = 0; i < nsvc; i++) {
		struct svc *s = &table[i];
		fprintf(f, "S %u %u ", s->af, s->protocol); hex(f, s->addr, 16);
		fprintf(f, " %u %u %s %s %u %u %u\n", s->port, s->fwmark, s->sched, s->pe[0] ? s->pe : "-", s->flags, s->timeout, s->netmask);
		for (int j = 0; j < s->ndests; j++) {
			struct dest *d = &s->dests[j];
			fprintf(f, "D %u ", d->af); hex(f, d->addr, 16);
			fprintf(f, " %u %u %u %u %u %u %u %u\n", d->port, d->fwd, d->weight, d->u, d->l, d->tun_type, d->tun_port, d->tun_flags);
		}
	}
	fclose(f);
	rename(tmp, state_path());
}

/* attribute walking */
static void parse_attrs(struct nlattr *tb[], int max, void *data, int len)
{
	struct nlattr *a = data;
	memset(tb, 0, sizeof(*tb) * (max + 1));
	while (len >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= len) {
		int type = a->nla_type & NLA_TYPE_MASK;
		if (type <= max) tb[type] = a;
		len -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	}
}
static void *adata(struct nlattr *a) { return (char *)a + NLA_HDRLEN; }
static int alen(struct nlattr *a) { return a->nla_len - NLA_HDRLEN; }
static uint32_t u32(struct nlattr *a) { uint32_t v = 0; memcpy(&v, adata(a), alen(a) < 4 ? alen(a) : 4); return v; }
static uint16_t u16(struct nlattr *a) { uint16_t v = 0; memcpy(&v, adata(a), alen(a) < 2 ? alen(a) : 2); return v; }

static void svc_from(struct nlattr *nest, struct svc *s)
{
	struct nlattr *tb[IPVS_SVC_ATTR_MAX + 1];
	memset(s, 0, sizeof(*s));
	parse_attrs(tb, IPVS_SVC_ATTR_MAX, adata(nest), alen(nest));
	if (tb[IPVS_SVC_ATTR_AF]) s->af = u16(tb[IPVS_SVC_ATTR_AF]);
	if (tb[IPVS_SVC_ATTR_FWMARK]) s->fwmark = u32(tb[IPVS_SVC_ATTR_FWMARK]);
	if (tb[IPVS_SVC_ATTR_PROTOCOL]) s->protocol = u16(tb[IPVS_SVC_ATTR_PROTOCOL]);
	if (tb[IPVS_SVC_ATTR_ADDR]) memcpy(s->addr, adata(tb[IPVS_SVC_ATTR_ADDR]), alen(tb[IPVS_SVC_ATTR_ADDR]) < 16 ? alen(tb[IPVS_SVC_ATTR_ADDR]) : 16);
	if (tb[IPVS_SVC_ATTR_PORT]) s->port = u16(tb[IPVS_SVC_ATTR_PORT]);
	if (tb[IPVS_SVC_ATTR_SCHED_NAME]) snprintf(s->sched, sizeof(s->sched), "%s", (char *)adata(tb[IPVS_SVC_ATTR_SCHED_NAME]));
	if (tb[IPVS_SVC_ATTR_PE_NAME]) snprintf(s->pe, sizeof(s->pe), "%s", (char *)adata(tb[IPVS_SVC_ATTR_PE_NAME]));
	if (tb[IPVS_SVC_ATTR_FLAGS]) { struct ip_vs_flags fl; memcpy(&fl, adata(tb[IPVS_SVC_ATTR_FLAGS]), sizeof(fl)); s->flags = fl.flags & fl.mask & ~IP_VS_SVC_F_HASHED; }
	if (tb[IPVS_SVC_ATTR_TIMEOUT]) s->timeout = u32(tb[IPVS_SVC_ATTR_TIMEOUT]);
	if (tb[IPVS_SVC_ATTR_NETMASK]) s->netmask = u32(tb[IPVS_SVC_ATTR_NETMASK]);
	if (s->fwmark) { s->protocol = 0; memset(s->addr, 0, 16); s->port = 0; }
	if (s->af == AF_INET) memset(s->addr + 4, 0, 12);
}
static void dest_from(struct nlattr *nest, struct dest *d)
{
	struct nlattr *tb[IPVS_DEST_ATTR_MAX + 1];
	memset(d, 0, sizeof(*d));
	parse_attrs(tb, IPVS_DEST_ATTR_MAX, adata(nest), alen(nest));
	if (tb[IPVS_DEST_ATTR_ADDR_FAMILY]) d->af = u16(tb[IPVS_DEST_ATTR_ADDR_FAMILY]);
	if (tb[IPVS_DEST_ATTR_ADDR]) memcpy(d->addr, adata(tb[IPVS_DEST_ATTR_ADDR]), 16);
	if (tb[IPVS_DEST_ATTR_PORT]) d->port = u16(tb[IPVS_DEST_ATTR_PORT]);
	if (tb[IPVS_DEST_ATTR_FWD_METHOD]) d->fwd = u32(tb[IPVS_DEST_ATTR_FWD_METHOD]) & IP_VS_CONN_F_FWD_MASK;
	if (tb[IPVS_DEST_ATTR_WEIGHT]) d->weight = u32(tb[IPVS_DEST_ATTR_WEIGHT]);
	if (tb[IPVS_DEST_ATTR_U_THRESH]) d->u = u32(tb[IPVS_DEST_ATTR_U_THRESH]);
	if (tb[IPVS_DEST_ATTR_L_THRESH]) d->l = u32(tb[IPVS_DEST_ATTR_L_THRESH]);
	if (tb[IPVS_DEST_ATTR_TUN_TYPE]) d->tun_type = *(uint8_t *)adata(tb[IPVS_DEST_ATTR_TUN_TYPE]);
	if (tb[IPVS_DEST_ATTR_TUN_PORT]) d->tun_port = u16(tb[IPVS_DEST_ATTR_TUN_PORT]);
	if (tb[IPVS_DEST_ATTR_TUN_FLAGS]) d->tun_flags = *(uint8_t *)adata(tb[IPVS_DEST_ATTR_TUN_FLAGS]);
	if (d->af == AF_INET) memset(d->addr + 4, 0, 12);
}
static struct svc *find_svc(const struct svc *k)
{
	for (int i = 0; i < nsvc; i++) {
		struct svc *s = &table[i];
		if (k->fwmark || s->fwmark) {
			if (k->fwmark == s->fwmark && k->af == s->af) return s;
		} else if (k->af == s->af && k->protocol == s->protocol && k->port == s->port && !memcmp(k->addr, s->addr, 16)) {
			return s;
		}
	}
	return NULL;
}
static int find_dest(struct svc *s, const struct dest *d)
{
	for (int j = 0; j < s->ndests; j++)
		if (s->dests[j].af == d->af && s->dests[j].port == d->port && !memcmp(s->dests[j].addr, d->addr, 16)) return j;
	return -1;
}
static int sched_ok(const struct svc *s)
{
	static const char *scheds[] = { "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", NULL };
	int ok = 0;
	for (int i = 0; scheds[i]; i++) if (!strcmp(s->sched, scheds[i])) ok = 1;
	return ok && (!s->pe[0] || !strcmp(s->pe, "sip"));
}
static int dest_addr_ok(const struct dest *d)
{
	if (d->af == AF_INET) {
		uint32_t v = ntohl(*(uint32_t *)d->addr);
		return !((v >> 24) == 0 || v == 0xffffffff || (v >> 28) == 0xe);
	}
	static const uint8_t zero[16];
	if (!memcmp(d->addr, zero, 16) || d->addr[0] == 0xff) return 0;
	if (d->addr[0] == 0xfe && (d->addr[1] & 0xc0) == 0x80) return 0;
	return 1;
}

/* replies */
static struct nl_msg *reply(int cmd)
{
	struct nl_msg *m = nlmsg_alloc();
	genlmsg_put(m, 0, 0, FAMILY, 0, 0, cmd, 1);
	replies[nreplies++] = m;
	return m;
}
static void put_u32(struct nl_msg *m, int t, uint32_t v) { nla_put(m, t, 4, &v); }
static void put_u16(struct nl_msg *m, int t, uint16_t v) { nla_put(m, t, 2, &v); }
static void put_u8(struct nl_msg *m, int t, uint8_t v) { nla_put(m, t, 1, &v); }
static void reply_svc(struct svc *s)
{
	struct nl_msg *m = reply(IPVS_CMD_NEW_SERVICE);
	struct nlattr *n = nla_nest_start(m, IPVS_CMD_ATTR_SERVICE);
	struct ip_vs_flags fl = { .flags = s->flags | IP_VS_SVC_F_HASHED, .mask = ~0u };
	put_u16(m, IPVS_SVC_ATTR_AF, s->af);
	if (s->fwmark) {
		put_u32(m, IPVS_SVC_ATTR_FWMARK, s->fwmark);
	} else {
		put_u16(m, IPVS_SVC_ATTR_PROTOCOL, s->protocol);
		nla_put(m, IPVS_SVC_ATTR_ADDR, 16, s->addr);
		put_u16(m, IPVS_SVC_ATTR_PORT, s->port);
	}
	nla_put(m, IPVS_SVC_ATTR_SCHED_NAME, strlen(s->sched) + 1, s->sched);
	if (s->pe[0]) nla_put(m, IPVS_SVC_ATTR_PE_NAME, strlen(s->pe) + 1, s->pe);
	nla_put(m, IPVS_SVC_ATTR_FLAGS, sizeof(fl), &fl);
	put_u32(m, IPVS_SVC_ATTR_TIMEOUT, s->timeout);
	put_u32(m, IPVS_SVC_ATTR_NETMASK, s->netmask);
	nla_nest_end(m, n);
}
static void reply_dest(struct dest *d)
{
	struct nl_msg *m = reply(IPVS_CMD_NEW_DEST);
	struct nlattr *n = nla_nest_start(m, IPVS_CMD_ATTR_DEST);
	nla_put(m, IPVS_DEST_ATTR_ADDR, 16, d->addr);
	put_u16(m, IPVS_DEST_ATTR_PORT, d->port);
	put_u32(m, IPVS_DEST_ATTR_FWD_METHOD, d->fwd);
	put_u32(m, IPVS_DEST_ATTR_WEIGHT, d->weight);
	put_u8(m, IPVS_DEST_ATTR_TUN_TYPE, d->tun_type);
	put_u16(m, IPVS_DEST_ATTR_TUN_PORT, d->tun_port);
	put_u16(m, IPVS_DEST_ATTR_TUN_FLAGS, d->tun_flags);
	put_u32(m, IPVS_DEST_ATTR_U_THRESH, d->u);
	put_u32(m, IPVS_DEST_ATTR_L_THRESH, d->l);
	put_u32(m, IPVS_DEST_ATTR_ACTIVE_CONNS, 0);
	put_u32(m, IPVS_DEST_ATTR_INACT_CONNS, 0);
	put_u32(m, IPVS_DEST_ATTR_PERSIST_CONNS, 0);
	put_u16(m, IPVS_DEST_ATTR_ADDR_FAMILY, d->af);
	nla_nest_end(m, n);
}

static int handle(struct nl_msg *msg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct genlmsghdr *g = NLMSG_DATA(h);
	struct nlattr *tb[IPVS_CMD_ATTR_MAX + 1];
	struct svc k, *s;
	struct dest d;
	int j;

	parse_attrs(tb, IPVS_CMD_ATTR_MAX, (char *)g + GENL_HDRLEN, h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN);
	load();
	if (tb[IPVS_CMD_ATTR_SERVICE]) svc_from(tb[IPVS_CMD_ATTR_SERVICE], &k);
	if (tb[IPVS_CMD_ATTR_DEST]) dest_from(tb[IPVS_CMD_ATTR_DEST], &d);
	switch (g->cmd) {
	case IPVS_CMD_GET_INFO: {
		struct nl_msg *m = reply(IPVS_CMD_SET_INFO);
		put_u32(m, IPVS_INFO_ATTR_VERSION, 0x010201);
		put_u32(m, IPVS_INFO_ATTR_CONN_TAB_SIZE, 4096);
		return 0;
	}
	case IPVS_CMD_GET_SERVICE:
		if (!(h->nlmsg_flags & NLM_F_DUMP)) {
			if (!(s = find_svc(&k))) return ESRCH;
			reply_svc(s);
			return 0;
		}
		/* ip_vs_genl_dump_services: the address-keyed table, then the fwmark table */
		for (int i = 0; i < nsvc; i++) if (!table[i].fwmark) reply_svc(&table[i]);
		for (int i = 0; i < nsvc; i++) if (table[i].fwmark) reply_svc(&table[i]);
		return 0;
	case IPVS_CMD_GET_DEST:
		if (!(s = find_svc(&k))) return ESRCH;
		for (j = 0; j < s->ndests; j++) reply_dest(&s->dests[j]);
		return 0;
	case IPVS_CMD_NEW_SERVICE:
		if (find_svc(&k)) return EEXIST;
		if (!sched_ok(&k)) return ENOENT;
		if (nsvc >= MAXS) return ENOMEM;
		table[nsvc++] = k;
		break;
	case IPVS_CMD_SET_SERVICE:
		if (!(s = find_svc(&k))) return ESRCH;
		if (!sched_ok(&k)) return ENOENT;
		strcpy(s->sched, k.sched); strcpy(s->pe, k.pe);
		s->flags = k.flags; s->timeout = k.timeout; s->netmask = k.netmask;
		break;
	case IPVS_CMD_DEL_SERVICE:
		if (!(s = find_svc(&k))) return ESRCH;
		memmove(s, s + 1, (char *)&table[nsvc] - (char *)(s + 1));
		nsvc--;
		break;
	case IPVS_CMD_NEW_DEST:
	case IPVS_CMD_SET_DEST:
		if (!(s = find_svc(&k))) return ESRCH;
		if (d.l > d.u) return ERANGE;
		if (d.tun_type == IP_VS_CONN_F_TUNNEL_TYPE_GUE && d.tun_port == 0) return EINVAL;
		j = find_dest(s, &d);
		if (g->cmd == IPVS_CMD_NEW_DEST) {
			if (j >= 0) return EEXIST;
			if (!dest_addr_ok(&d)) return EINVAL;
			if (s->ndests >= MAXD) return ENOMEM;
			/* __ip_vs_update_dest(add=1): list_add_rcu, at the head of the list */
			memmove(&s->dests[1], &s->dests[0], sizeof(d) * s->ndests);
			s->dests[0] = d;
			s->ndests++;
		} else {
			if (j < 0) return ENOENT;
			s->dests[j] = d;
		}
		break;
	case IPVS_CMD_DEL_DEST:
		if (!(s = find_svc(&k))) return ESRCH;
		if ((j = find_dest(s, &d)) < 0) return ENOENT;
		memmove(&s->dests[j], &s->dests[j + 1], sizeof(d) * (s->ndests - j - 1));
		s->ndests--;
		break;
	case IPVS_CMD_FLUSH:
		nsvc = 0;
		break;
	case IPVS_CMD_ZERO:
		if (tb[IPVS_CMD_ATTR_SERVICE] && !find_svc(&k)) return ESRCH;
		return 0;
	case IPVS_CMD_GET_CONFIG: {
		struct nl_msg *m = reply(IPVS_CMD_SET_CONFIG);
		put_u32(m, IPVS_CMD_ATTR_TIMEOUT_TCP, to_tcp);
		put_u32(m, IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, to_tcpfin);
		put_u32(m, IPVS_CMD_ATTR_TIMEOUT_UDP, to_udp);
		return 0;
	}
	case IPVS_CMD_SET_CONFIG:
		if (tb[IPVS_CMD_ATTR_TIMEOUT_TCP] && u32(tb[IPVS_CMD_ATTR_TIMEOUT_TCP])) to_tcp = u32(tb[IPVS_CMD_ATTR_TIMEOUT_TCP]);
		if (tb[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN] && u32(tb[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN])) to_tcpfin = u32(tb[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN]);
		if (tb[IPVS_CMD_ATTR_TIMEOUT_UDP] && u32(tb[IPVS_CMD_ATTR_TIMEOUT_UDP])) to_udp = u32(tb[IPVS_CMD_ATTR_TIMEOUT_UDP]);
		break;
	case IPVS_CMD_GET_DAEMON:
		return 0;
	default:
		return EOPNOTSUPP;
	}
	save();
	return 0;
}

/* the libnl entry points ipvsadm uses */
int genl_connect(struct nl_sock *sk) { (void)sk; return 0; }
int genl_ctrl_resolve(struct nl_sock *sk, const char *name) { (void)sk; return strcmp(name, "IPVS") ? -1 : FAMILY; }
int nl_socket_modify_cb(struct nl_sock *sk, int type, int kind, valid_cb_t func, void *arg)
{
	(void)sk; (void)kind;
	if (type == 0 /* NL_CB_VALID */) { valid_cb = func; valid_arg = arg; }
	return 0;
}
int nl_socket_modify_err_cb(struct nl_sock *sk, int kind, err_cb_t func, void *arg)
{
	(void)sk; (void)kind;
	err_cb = func; err_arg = arg;
	return 0;
}
int nl_send_auto_complete(struct nl_sock *sk, struct nl_msg *msg)
{
	(void)sk;
	nreplies = 0;
	pending_err = handle(msg);
	return 0;
}
int nl_recvmsgs_default(struct nl_sock *sk)
{
	(void)sk;
	int err = pending_err;
	for (int i = 0; i < nreplies; i++) {
		if (!err && valid_cb && valid_cb(replies[i], valid_arg) < 0) err = EINVAL;
		nlmsg_free(replies[i]);
	}
	nreplies = 0;
	pending_err = 0;
	if (err) {
		struct nlmsgerr e;
		memset(&e, 0, sizeof(e));
		e.error = -err;
		if (err_cb) err_cb(NULL, &e, err_arg);
		return -1;
	}
	return 0;
}
