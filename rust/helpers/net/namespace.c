// SPDX-License-Identifier: GPL-2.0

#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <net/net_namespace.h>

__rust_helper struct net *rust_helper_get_net(struct net *net)
{
	return get_net(net);
}

__rust_helper void rust_helper_put_net(struct net *net)
{
	put_net(net);
}

/*
 * The network namespace of the current task, with a reference, or NULL when
 * the task has none any more (it is exiting).
 */
__rust_helper struct net *rust_helper_current_net_get(void)
{
	struct nsproxy *nsproxy = current->nsproxy;

	return nsproxy ? get_net(nsproxy->net_ns) : NULL;
}
