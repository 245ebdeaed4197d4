// SPDX-License-Identifier: GPL-2.0

//! Notifiers of network device and address events.
//!
//! - [`NetdevRegistration`]: `register_netdevice_notifier()`, events of every net device;
//! - [`InetaddrRegistration`]: `register_inetaddr_notifier()`, IPv4 addresses;
//! - [`Inet6addrRegistration`]: `register_inet6addr_notifier()`, IPv6 addresses.
//!
//! Each registration owns its `struct notifier_block` and the handler, is pinned, and
//! unregisters on drop.
//!
//! C headers: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h),
//! [`include/linux/inetdevice.h`](srctree/include/linux/inetdevice.h) and
//! [`include/net/addrconf.h`](srctree/include/net/addrconf.h).

use super::device::NetDevice;
use crate::{
    bindings,
    error::to_result,
    prelude::*,
    types::Opaque, //
};

/// A net device event (`NETDEV_*`), with its extra information where it has one.
#[derive(Clone, Copy)]
pub enum NetdevEvent<'a> {
    /// `NETDEV_REGISTER`.
    Register,
    /// `NETDEV_UP`.
    Up,
    /// `NETDEV_DOWN`.
    Down,
    /// `NETDEV_UNREGISTER`.
    Unregister,
    /// `NETDEV_CHANGEADDR`: the hardware address changed.
    ChangeAddr,
    /// `NETDEV_CHANGEUPPER`: `upper` was linked to or unlinked from the device.
    ChangeUpper {
        /// The upper device.
        upper: &'a NetDevice,
        /// `true` when linking, `false` when unlinking.
        linking: bool,
    },
    /// `NETDEV_BONDING_FAILOVER`: the active slave of a bond changed.
    BondingFailover,
    /// Any other event, with its C value.
    Other(u64),
}

/// An address event (`NETDEV_UP` or `NETDEV_DOWN` on an address).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrEvent {
    /// The address was added.
    Up,
    /// The address was removed.
    Down,
    /// Any other event, with its C value.
    Other(u64),
}

impl AddrEvent {
    fn from_raw(event: u64) -> Self {
        match event {
            e if e == u64::from(bindings::netdev_cmd_NETDEV_UP) => AddrEvent::Up,
            e if e == u64::from(bindings::netdev_cmd_NETDEV_DOWN) => AddrEvent::Down,
            e => AddrEvent::Other(e),
        }
    }
}

/// Handles net device events. Called under RTNL, in process context.
///
/// Handlers are `'static`: a registration whose memory is leaked stays registered, and the
/// notifier chain keeps calling its handler.
pub trait NetdevHandler: Sync + 'static {
    /// One event of `dev`.
    fn event(&self, event: NetdevEvent<'_>, dev: &NetDevice);
}

/// Handles IPv4 address events. Called in process context. `'static` as [`NetdevHandler`].
pub trait InetaddrHandler: Sync + 'static {
    /// `addr` (network byte order, as bytes) was added to or removed from `dev`.
    fn event(&self, event: AddrEvent, addr: [u8; 4], dev: &NetDevice);
}

/// Handles IPv6 address events. Called in atomic context: it must not sleep. `'static` as
/// [`NetdevHandler`].
pub trait Inet6addrHandler: Sync + 'static {
    /// `addr` was added to or removed from `dev`.
    fn event(&self, event: AddrEvent, addr: [u8; 16], dev: &NetDevice);
}

macro_rules! notifier_registration {
    ($(#[$doc:meta])* $name:ident, $handler:ident, $register:ident, $unregister:ident,
     $call:ident) => {
        $(#[$doc])*
        ///
        /// # Invariants
        ///
        /// `nb` is registered, with `nb.notifier_call` the callback of `T`, from initialisation
        /// until drop.
        #[pin_data(PinnedDrop)]
        pub struct $name<T: $handler> {
            #[pin]
            nb: Opaque<bindings::notifier_block>,
            handler: T,
        }

        // SAFETY: The handler is `Sync` and the notifier block is only touched by the notifier
        // chain, which serialises registration and calls.
        unsafe impl<T: $handler + Send> Send for $name<T> {}
        // SAFETY: As above.
        unsafe impl<T: $handler> Sync for $name<T> {}

        impl<T: $handler> $name<T> {
            /// Registers `handler`; it is called until the registration is dropped.
            pub fn new(handler: T) -> impl PinInit<Self, Error> {
                try_pin_init!(Self {
                    handler,
                    nb <- Opaque::try_ffi_init(|nb: *mut bindings::notifier_block| {
                        // SAFETY: `nb` is valid for writes; an all-zero block with a callback is
                        // a valid unregistered block. It is pinned, and registered until drop.
                        unsafe {
                            nb.write(core::mem::zeroed());
                            (*nb).notifier_call = Some(Self::$call);
                            to_result(bindings::$register(nb))
                        }
                    }),
                })
            }

            /// Returns the handler.
            pub fn handler(&self) -> &T {
                &self.handler
            }

            /// # Safety
            ///
            /// `nb` must be the notifier block of a live `Self`.
            unsafe fn from_nb<'a>(nb: *mut bindings::notifier_block) -> &'a Self {
                // SAFETY: `nb` is the `nb` field of a live `Self` (guaranteed by the caller).
                unsafe { &*crate::container_of!(Opaque::cast_from(nb), Self, nb) }
            }
        }

        #[pinned_drop]
        impl<T: $handler> PinnedDrop for $name<T> {
            fn drop(self: Pin<&mut Self>) {
                // SAFETY: Registered since initialisation (type invariant). Unregistering waits
                // for callbacks in progress.
                unsafe { bindings::$unregister(self.nb.get()) };
            }
        }
    };
}

notifier_registration!(
    /// A registered net device notifier (`register_netdevice_notifier()`).
    ///
    /// Registering replays `REGISTER` and `UP` for every existing device, and dropping the
    /// registration replays `DOWN` and `UNREGISTER`, as in C.
    NetdevRegistration,
    NetdevHandler,
    register_netdevice_notifier,
    unregister_netdevice_notifier,
    netdev_call
);

notifier_registration!(
    /// A registered IPv4 address notifier (`register_inetaddr_notifier()`).
    InetaddrRegistration,
    InetaddrHandler,
    register_inetaddr_notifier,
    unregister_inetaddr_notifier,
    inetaddr_call
);

notifier_registration!(
    /// A registered IPv6 address notifier (`register_inet6addr_notifier()`).
    Inet6addrRegistration,
    Inet6addrHandler,
    register_inet6addr_notifier,
    unregister_inet6addr_notifier,
    inet6addr_call
);

impl<T: NetdevHandler> NetdevRegistration<T> {
    /// The notifier callback.
    ///
    /// # Safety
    ///
    /// Called by the notifier chain only, with the block of a live registration and a
    /// `netdev_notifier_info` as `ptr`.
    unsafe extern "C" fn netdev_call(
        nb: *mut bindings::notifier_block,
        event: c_ulong,
        ptr: *mut c_void,
    ) -> c_int {
        // SAFETY: The chain calls us with our registered block.
        let this = unsafe { Self::from_nb(nb) };
        let info = ptr.cast::<bindings::netdev_notifier_info>();
        // SAFETY: Net device notifiers get a `netdev_notifier_info` whose device is referenced
        // during the call.
        let dev = unsafe { NetDevice::from_raw((*info).dev) };
        let event = event as u64;
        let ev = match event {
            e if e == u64::from(bindings::netdev_cmd_NETDEV_REGISTER) => NetdevEvent::Register,
            e if e == u64::from(bindings::netdev_cmd_NETDEV_UP) => NetdevEvent::Up,
            e if e == u64::from(bindings::netdev_cmd_NETDEV_DOWN) => NetdevEvent::Down,
            e if e == u64::from(bindings::netdev_cmd_NETDEV_UNREGISTER) => NetdevEvent::Unregister,
            e if e == u64::from(bindings::netdev_cmd_NETDEV_CHANGEADDR) => NetdevEvent::ChangeAddr,
            e if e == u64::from(bindings::netdev_cmd_NETDEV_CHANGEUPPER) => {
                let cu = ptr.cast::<bindings::netdev_notifier_changeupper_info>();
                // SAFETY: For `CHANGEUPPER` the info is the first field of a
                // `netdev_notifier_changeupper_info`, whose upper device is referenced during
                // the call.
                unsafe {
                    NetdevEvent::ChangeUpper {
                        upper: NetDevice::from_raw((*cu).upper_dev),
                        linking: (*cu).linking,
                    }
                }
            }
            e if e == u64::from(bindings::netdev_cmd_NETDEV_BONDING_FAILOVER) => {
                NetdevEvent::BondingFailover
            }
            e => NetdevEvent::Other(e),
        };
        this.handler.event(ev, dev);
        bindings::NOTIFY_DONE as c_int
    }
}

impl<T: InetaddrHandler> InetaddrRegistration<T> {
    /// The notifier callback.
    ///
    /// # Safety
    ///
    /// Called by the notifier chain only, with the block of a live registration and an
    /// `in_ifaddr` as `ptr`.
    unsafe extern "C" fn inetaddr_call(
        nb: *mut bindings::notifier_block,
        event: c_ulong,
        ptr: *mut c_void,
    ) -> c_int {
        // SAFETY: The chain calls us with our registered block.
        let this = unsafe { Self::from_nb(nb) };
        let ifa = ptr.cast::<bindings::in_ifaddr>();
        // SAFETY: The chain passes an `in_ifaddr` whose `in_device` and net device are valid
        // during the call.
        let (addr, dev) = unsafe {
            (
                (*ifa).ifa_address.to_ne_bytes(),
                NetDevice::from_raw((*(*ifa).ifa_dev).dev),
            )
        };
        this.handler
            .event(AddrEvent::from_raw(event as u64), addr, dev);
        bindings::NOTIFY_DONE as c_int
    }
}

impl<T: Inet6addrHandler> Inet6addrRegistration<T> {
    /// The notifier callback.
    ///
    /// # Safety
    ///
    /// Called by the notifier chain only, with the block of a live registration and an
    /// `inet6_ifaddr` as `ptr`.
    unsafe extern "C" fn inet6addr_call(
        nb: *mut bindings::notifier_block,
        event: c_ulong,
        ptr: *mut c_void,
    ) -> c_int {
        // SAFETY: The chain calls us with our registered block.
        let this = unsafe { Self::from_nb(nb) };
        let ifa = ptr.cast::<bindings::inet6_ifaddr>();
        // SAFETY: The chain passes an `inet6_ifaddr` whose `inet6_dev` and net device are valid
        // during the call; `in6_addr` is 16 bytes in every union member.
        let (addr, dev) = unsafe {
            (
                (*ifa).addr.in6_u.u6_addr8,
                NetDevice::from_raw((*(*ifa).idev).dev),
            )
        };
        this.handler
            .event(AddrEvent::from_raw(event as u64), addr, dev);
        bindings::NOTIFY_DONE as c_int
    }
}

#[macros::kunit_tests(rust_kernel_net_notifier)]
mod tests {
    use super::*;
    use crate::alloc::flags::GFP_KERNEL;
    use core::sync::atomic::{
        AtomicU32,
        Ordering::Relaxed, //
    };

    /// Counts the replayed `REGISTER` events of the loopback device of the initial namespace,
    /// and checks what a `&NetDevice` gives for it.
    #[derive(Default)]
    struct Loopback {
        registers: AtomicU32,
        bad: AtomicU32,
    }

    impl NetdevHandler for Loopback {
        fn event(&self, event: NetdevEvent<'_>, dev: &NetDevice) {
            if dev.name().as_bytes() != b"lo" || dev.ifindex() != 1 {
                return;
            }
            if let NetdevEvent::Register = event {
                self.registers.fetch_add(1, Relaxed);
            }
            if dev.is_ether() || u32::from(dev.hw_type()) != bindings::ARPHRD_LOOPBACK {
                self.bad.fetch_add(1, Relaxed);
            }
        }
    }

    struct Nothing;

    impl InetaddrHandler for Nothing {
        fn event(&self, _event: AddrEvent, _addr: [u8; 4], _dev: &NetDevice) {}
    }

    #[test]
    fn netdev_registration_replays_existing_devices() -> Result {
        let reg = KBox::pin_init(NetdevRegistration::new(Loopback::default()), GFP_KERNEL)?;
        assert_eq!(reg.handler().registers.load(Relaxed), 1);
        assert_eq!(reg.handler().bad.load(Relaxed), 0);
        Ok(())
    }

    #[test]
    fn inetaddr_registration_registers_and_drops() -> Result {
        let reg = KBox::pin_init(InetaddrRegistration::new(Nothing), GFP_KERNEL)?;
        drop(reg);
        // A second registration of a new block works after the first one is gone.
        let _reg = KBox::pin_init(InetaddrRegistration::new(Nothing), GFP_KERNEL)?;
        Ok(())
    }

    #[test]
    fn addr_event_values() {
        assert_eq!(
            AddrEvent::from_raw(u64::from(bindings::netdev_cmd_NETDEV_UP)),
            AddrEvent::Up
        );
        assert_eq!(
            AddrEvent::from_raw(u64::from(bindings::netdev_cmd_NETDEV_DOWN)),
            AddrEvent::Down
        );
        assert_eq!(AddrEvent::from_raw(9999), AddrEvent::Other(9999));
    }
}
