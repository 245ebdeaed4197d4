// SPDX-License-Identifier: GPL-2.0

//! The engine: probe and removal of slaves, init and cleanup of masters, bind and unbind.

use super::{
    event::EventWork,
    host::{
        Affiliation,
        Host, //
    },
    master::Master,
    registry::Registry,
    slave::{
        Binding,
        Slave, //
    },
};
use kernel::{
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        ArcBorrow,
        LockedBy,
        Mutex, //
    },
};

/// Multiport affiliation: which slave port serves which master's port.
#[pin_data]
pub(crate) struct Engine<H: Host> {
    pub(crate) host: H,
    #[pin]
    registry: Mutex<Registry<H>>,
}

impl<H: Host> Engine<H> {
    pub(crate) fn new(host: H) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Engine {
                host,
                registry <- new_mutex!(Registry::new(), "mlx5_ib_multiport_mutex"),
            }),
            GFP_KERNEL,
        )
    }

    /// A slave port's probe (`mlx5r_mp_probe()`): binds it to the master of its card if that
    /// master is here, otherwise parks it until the master comes.
    pub(crate) fn add_slave(&self, core: H::Core) -> Result<Arc<Slave<H>>> {
        let guid = self.host.system_image_guid(&core)?;
        let port = self.host.native_port(&core);
        let slave = Arc::new(
            Slave {
                core,
                guid,
                port,
                binding: LockedBy::new(&self.registry, Binding::unbound()),
            },
            GFP_KERNEL,
        )?;
        let mut reg = self.registry.lock();
        reg.reserve_slave()?;
        let mut bound = false;
        for i in 0..reg.masters.len() {
            let master = reg.masters[i].clone();
            if master.guid == slave.guid && self.host.same_coredev_type(&master.core, &slave.core) {
                bound = self.bind(&mut reg, &master, &slave);
            }
            if bound {
                self.host.activate(&master.ib);
                break;
            }
        }
        if !bound {
            reg.park(slave.clone());
            pr_debug!("multiport: no master to bind to: port unaffiliated\n");
        }
        Ok(slave)
    }

    /// A slave port's removal (`mlx5r_mp_remove()`). When it returns, no event work of the
    /// slave is queued or running: the unbind unregistered its notifier, and the event works
    /// queued before have run.
    pub(crate) fn remove_slave(&self, slave: Arc<Slave<H>>) {
        let mut reg = self.registry.lock();
        let known = match slave.binding.access(&reg).master.clone() {
            Some(master) => {
                self.unbind(&mut reg, &master, &slave);
                true
            }
            None => reg.unpark(&slave),
        };
        // A slave removed twice (through a clone) gives its room back once.
        if known {
            reg.release_slave();
        }
        drop(reg);
        // Outside the lock, which the event works take.
        self.host.flush_events();
    }

    /// A master's init (`mlx5_ib_init_multiport_master()`, for a multiport master whose port is
    /// Ethernet): enables RoCE, then binds the parked slaves of its card.
    ///
    /// `publish` gets the master once nothing can fail any more and before the first bind, as C
    /// fills the master's port slots before its binds: the host makes it reachable there (the
    /// binds' own calls look a slave's core device up through it).
    pub(crate) fn add_master(
        &self,
        ib: H::Ib,
        core: H::Core,
        ports: u32,
        publish: impl FnOnce(&Arc<Master<H>>),
    ) -> Result<Arc<Master<H>>> {
        let guid = self.host.system_image_guid(&core)?;
        self.host.enable_roce(&core)?;
        let native = self.host.native_port(&core);
        let master = Master::new(ib, core.clone(), guid, native, ports)
            .inspect_err(|_| self.host.disable_roce(&core))?;
        let mut reg = self.registry.lock();
        if let Err(e) = reg.masters.reserve(1, GFP_KERNEL) {
            drop(reg);
            self.host.disable_roce(&master.core);
            return Err(e.into());
        }
        publish(&master);
        for port in 1..=ports {
            if port == native {
                continue;
            }
            let mut bound = false;
            let mut i = 0;
            while i < reg.unaffiliated().len() {
                let slave = reg.unaffiliated()[i].clone();
                if master.guid == slave.guid
                    && slave.port == port
                    && self.host.same_coredev_type(&master.core, &slave.core)
                {
                    bound = self.bind(&mut reg, &master, &slave);
                }
                if bound {
                    reg.unpark(&slave);
                    break;
                }
                i += 1;
            }
            if !bound {
                pr_debug!("multiport: no free port found for port {port}\n");
            }
        }
        // Cannot fail: reserved above.
        let _ = reg.masters.push_within_capacity(master.clone());
        Ok(master)
    }

    /// A master's cleanup (`mlx5_ib_cleanup_multiport_master()`): its slaves go back to the
    /// unaffiliated list, unbound, and RoCE is disabled. When it returns, no event work uses
    /// the master.
    pub(crate) fn remove_master(&self, master: &Arc<Master<H>>) {
        let mut reg = self.registry.lock();
        for port in 1..=master.ports() {
            if port == master.native {
                master.free_native();
            } else if let Some(slave) = master.slave_at(port) {
                pr_debug!("multiport: unbinding port {port}\n");
                reg.park(slave.clone());
                self.unbind(&mut reg, master, &slave);
            }
        }
        if let Some(i) = reg.masters.iter().position(|m| Arc::ptr_eq(m, master)) {
            let _ = reg.masters.remove(i);
        }
        drop(reg);
        // An event work that found this master before the unbinds may still be handling its
        // event on it: done before the master's device goes.
        self.host.flush_events();
        self.host.disable_roce(&master.core);
    }

    /// Whether the engine has no master and no slave.
    pub(crate) fn idle(&self) -> bool {
        let reg = self.registry.lock();
        reg.masters.is_empty() && reg.slaves() == 0
    }

    /// The master `slave` is bound to (`mlx5_ib_get_ibdev_from_mpi()`).
    pub(crate) fn master_of(&self, slave: &Slave<H>) -> Option<Arc<Master<H>>> {
        let reg = self.registry.lock();
        slave.binding.access(&reg).master.clone()
    }

    /// An event of `slave`'s core device (`mlx5_ib_event_slave_port()`, atomic context): the
    /// event work handles it on the slave's master, if it still has one then. The work holds
    /// the slave, so that its binding can be read whatever happens meanwhile; the devices it
    /// reaches through the host stay until the work has run, as the removal of a slave and the
    /// cleanup of a master flush the event works.
    pub(crate) fn slave_event(
        self: ArcBorrow<'_, Self>,
        slave: ArcBorrow<'_, Slave<H>>,
        event: H::Event,
    ) -> Result {
        let work = EventWork::new(self.into(), slave.into(), event)?;
        self.host.queue_event(work);
        Ok(())
    }

    /// `mlx5_ib_bind_slave_port()`.
    fn bind(&self, reg: &mut Registry<H>, master: &Arc<Master<H>>, slave: &Arc<Slave<H>>) -> bool {
        if !master.occupy(slave) {
            pr_debug!("multiport: port {} already affiliated\n", slave.port);
            return false;
        }
        let binding = slave.binding.access_mut(reg);
        binding.master = Some(master.clone());
        binding.listener = None;
        let h = &self.host;
        let port = slave.port;
        let ok = 'bind: {
            if h.affiliate(&master.core, &slave.core).is_err() {
                break 'bind false;
            }
            h.track_netdev(&master.ib, port);
            slave.binding.access_mut(reg).listener = h.listen(slave).ok();
            h.add_cong_debugfs(&master.ib, port);
            let key = h.adev_idx(&slave.core);
            h.replay(&slave.core, Affiliation::Done(key));
            h.replay(&master.core, Affiliation::Done(key));
            h.enable_loopback(&master.ib, &slave.core).is_ok()
        };
        if !ok {
            self.unbind(reg, master, slave);
        }
        ok
    }

    /// `mlx5_ib_unbind_slave_port()`: waits for the slave's core device's users to go.
    fn unbind(&self, reg: &mut Registry<H>, master: &Arc<Master<H>>, slave: &Arc<Slave<H>>) {
        let h = &self.host;
        let port = slave.port;
        h.disable_loopback(&master.ib, &slave.core);
        h.replay(&master.core, Affiliation::Removed);
        h.replay(&slave.core, Affiliation::Removed);
        h.remove_cong_debugfs(&master.ib, port);
        let binding = slave.binding.access_mut(reg);
        if binding.master.take().is_none() {
            return;
        }
        // Unregisters the notifier.
        drop(binding.listener.take());
        h.untrack_netdev(&master.ib, port);
        master.vacate(slave);
        if h.unaffiliate(&slave.core).is_err() {
            pr_err!("multiport: failed to unaffiliate port {port}\n");
        }
        pr_debug!("multiport: unaffiliated port {port}\n");
        h.port_down(&master.ib, port);
    }

    /// Runs `f` on the registry (for the checks of KUnit).
    #[cfg(CONFIG_KUNIT = "y")]
    pub(crate) fn with_registry<R>(&self, f: impl FnOnce(&Registry<H>) -> R) -> R {
        f(&self.registry.lock())
    }
}
