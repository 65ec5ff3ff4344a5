/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Next hops from the neighbour section (struct ks_shm_neigh): DPDK owns its
 * ports, so there is no kernel FIB to ask. A shard VIP is either a neighbour
 * itself (on-link) or reached through its family's gateway; either way the
 * neighbour entry names the port and the MAC to send to.
 */
#include "shmtable/shm_writer.h"

#include <string.h>

static const struct ks_shm_neigh_ent *find(const struct ks_shm_neigh *n, __u8 family,
					   const struct ks_addr *ip)
{
	for (__u32 i = 0; i < n->n_neigh && i < KS_SHM_MAX_NEIGH; i++)
		if (n->neigh[i].family == family && !memcmp(&n->neigh[i].ip, ip, sizeof(*ip)))
			return &n->neigh[i];
	return NULL;
}

int ks_shm_resolve(const struct ks_shm_neigh *n, struct ks_shard *sh)
{
	const struct ks_shm_neigh_ent *e = find(n, sh->family, &sh->vip);
	const struct ks_addr *src = sh->family == KS_AF_INET6 ? &n->src6 : &n->src4;
	int has_src = sh->family == KS_AF_INET6 ? n->has_src6 : n->has_src4;
	const struct ks_shm_port *port;

	if (!e) {
		if (sh->family == KS_AF_INET6 && n->has_gw6)
			e = find(n, KS_AF_INET6, &n->gw6);
		else if (sh->family == KS_AF_INET && n->has_gw4)
			e = find(n, KS_AF_INET, &n->gw4);
	}
	sh->ifindex = 0;
	memset(sh->smac, 0, sizeof(sh->smac));
	memset(sh->dmac, 0, sizeof(sh->dmac));
	memset(&sh->src, 0, sizeof(sh->src));
	sh->mtu = 0;
	sh->nh_valid = 0;
	sh->pad = 0;
	/* A neighbour without a MAC is one the fast path is still resolving. */
	if (!e || !has_src || e->port >= n->n_ports || e->port >= KS_SHM_MAX_PORTS ||
	    !(e->mac[0] | e->mac[1] | e->mac[2] | e->mac[3] | e->mac[4] | e->mac[5]))
		return 0;
	port = &n->ports[e->port];
	if (!port->used)
		return 0;
	sh->ifindex = (__u32)e->port + 1;
	memcpy(sh->smac, port->mac, 6);
	memcpy(sh->dmac, e->mac, 6);
	sh->src = *src;
	sh->mtu = port->mtu;
	sh->nh_valid = 1;
	return 1;
}
