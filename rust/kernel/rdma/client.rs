// SPDX-License-Identifier: GPL-2.0

//! RDMA core clients, `struct ib_client`.
//!
//! A client is told about every RDMA device that is registered while the client is registered,
//! and about its removal. C header: [`include/rdma/ib_verbs.h`](srctree/include/rdma/ib_verbs.h).
//!
//! # Examples
//!
//! ```ignore
//! use kernel::{
//!     prelude::*,
//!     rdma, //
//! };
//!
//! struct Watcher;
//!
//! kernel::rdma_client_registration!(static WATCHER: Watcher);
//!
//! impl rdma::Client for Watcher {
//!     const NAME: &'static CStr = c"watcher";
//!     type Data = KBox<u64>;
//!
//!     fn add(dev: &rdma::RegisteredDevice) -> Result<KBox<u64>> {
//!         Ok(KBox::new(dev.node_guid(), GFP_KERNEL)?)
//!     }
//!
//!     fn remove(_dev: &rdma::RegisteredDevice, _guid: KBox<u64>) {}
//! }
//!
//! // In module init; dropping the guard unregisters the client.
//! let guard = WATCHER.register()?;
//! ```

use super::device::RegisteredDevice;
use crate::{
    bindings,
    error::{
        to_result,
        Result, //
    },
    prelude::*,
    types::{
        ForeignOwnable,
        Opaque, //
    },
};
use core::{
    marker::PhantomData,
    sync::atomic::{
        AtomicBool,
        Ordering, //
    },
};

/// An RDMA core client.
///
/// The core calls [`Client::add`] for every registered device, under its device registration
/// lock, and [`Client::remove`] when the device or the client goes away. Both may sleep; the
/// device stays registered during both.
pub trait Client: Sized + Send + Sync + 'static {
    /// The client's name (`ib_client.name`), as `rdma` tools and netlink show it.
    const NAME: &'static CStr;

    /// Per-device data, owned by the core between `add` and `remove`.
    type Data: ForeignOwnable + Send + Sync;

    /// Called for each RDMA device. An error means the client does not use this device: the core
    /// then calls no more callbacks of this client for it.
    fn add(dev: &RegisteredDevice) -> Result<Self::Data>;

    /// Called when `dev` is unregistered or the client is, with the data `add` returned.
    fn remove(dev: &RegisteredDevice, data: Self::Data);
}

/// The static registration of a [`Client`].
///
/// The C callbacks do not say which client they are for; this is how they find it. Implement
/// it with [`rdma_client_registration!`](crate::rdma_client_registration), which declares the
/// static.
///
/// # Safety
///
/// [`HasRegistration::registration`] returns the same static on every call.
pub unsafe trait HasRegistration: Client {
    /// Returns the static registration of this client.
    fn registration() -> &'static Registration<Self>;
}

/// Declares the static [`Registration`] of a [`Client`] and implements [`HasRegistration`].
///
/// ```ignore
/// kernel::rdma_client_registration!(static CLIENT: MyClient);
/// ```
#[macro_export]
macro_rules! rdma_client_registration {
    ($vis:vis static $name:ident: $client:ty) => {
        $vis static $name: $crate::rdma::Registration<$client> =
            $crate::rdma::Registration::new();

        // SAFETY: `registration()` always returns the one static declared above.
        unsafe impl $crate::rdma::HasRegistration for $client {
            fn registration() -> &'static $crate::rdma::Registration<Self> {
                &$name
            }
        }
    };
}

/// The static registration of an RDMA core client.
///
/// It lives in a `static`, as C clients do; [`Registration::register`] registers it and returns
/// the guard that unregisters it.
///
/// # Invariants
///
/// `client` holds the callbacks of `T` and `T::NAME`; `registered` is `true` exactly while the
/// client is registered with the core.
pub struct Registration<T: HasRegistration> {
    client: Opaque<bindings::ib_client>,
    registered: AtomicBool,
    _p: PhantomData<T>,
}

// SAFETY: The C structure is only changed by `ib_register_client()`/`ib_unregister_client()`,
// which serialise themselves; `registered` makes sure at most one guard exists.
unsafe impl<T: HasRegistration> Sync for Registration<T> {}
// SAFETY: As above; nothing in it is tied to a thread.
unsafe impl<T: HasRegistration> Send for Registration<T> {}

impl<T: HasRegistration> Default for Registration<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: HasRegistration> Registration<T> {
    /// Creates the registration, for a `static`.
    pub const fn new() -> Self {
        // SAFETY: All-zero is a valid `ib_client`: no callbacks, zero counters. The core
        // initialises `uses`, `uses_zero` and `client_id` in `ib_register_client()`.
        let mut client: bindings::ib_client = unsafe { core::mem::zeroed() };
        client.name = crate::str::as_char_ptr_in_const_context(T::NAME);
        client.add = Some(Self::add_callback);
        client.remove = Some(Self::remove_callback);
        // INVARIANT: the callbacks and name of `T`; not registered yet.
        Self {
            client: Opaque::new(client),
            registered: AtomicBool::new(false),
            _p: PhantomData,
        }
    }

    /// Registers the client (`ib_register_client()`); `add` runs for each existing device before
    /// this returns. `EBUSY` if it is registered already, `EINVAL` if `self` is not the static
    /// that [`HasRegistration::registration`] returns (the callbacks would look for the client
    /// there).
    #[inline]
    pub fn register(&'static self) -> Result<ClientGuard<T>> {
        if !core::ptr::eq(self, T::registration()) {
            return Err(EINVAL);
        }
        if self.registered.swap(true, Ordering::AcqRel) {
            return Err(EBUSY);
        }
        // SAFETY: `client` is valid and 'static, and not registered (checked above).
        let ret = to_result(unsafe { bindings::ib_register_client(self.client.get()) });
        if let Err(e) = ret {
            self.registered.store(false, Ordering::Release);
            return Err(e);
        }
        // INVARIANT: registered, and the only guard.
        Ok(ClientGuard { reg: self })
    }

    /// Returns the raw `struct ib_client`, for C functions that take one.
    pub fn as_raw(&self) -> *mut bindings::ib_client {
        self.client.get()
    }

    /// The data that [`Client::add`] gave `dev` (`ib_get_client_data()`), if any.
    ///
    /// # Safety
    ///
    /// [`Client::remove`] for `dev` must not run while the returned value is used: the caller
    /// is itself a client of `dev` registered later (ib_core removes clients in reverse order)
    /// or otherwise excludes the removal.
    #[inline]
    pub unsafe fn client_data<'a>(
        &'a self,
        dev: &'a super::Device,
    ) -> Option<<T::Data as ForeignOwnable>::Borrowed<'a>> {
        // SAFETY: `dev` is a valid device and `self.client` a valid client.
        let p = unsafe { bindings::ib_get_client_data(dev.as_raw(), self.client.get()) };
        if p.is_null() {
            return None;
        }
        // SAFETY: A non-null client data pointer of this client is what `add_callback()` set
        // from `T::Data::into_foreign()`; the caller guarantees that `remove_callback()` does
        // not take it back while the borrow lives.
        Some(unsafe { T::Data::borrow(p) })
    }

    /// The `add` callback of `struct ib_client`.
    ///
    /// # Safety
    ///
    /// Called by the RDMA core only, with a device it holds a reference on.
    unsafe extern "C" fn add_callback(ibdev: *mut bindings::ib_device) -> c_int {
        // SAFETY: The core keeps the device registered during the callback.
        let dev = unsafe { RegisteredDevice::from_raw(ibdev) };
        match T::add(dev) {
            Ok(data) => {
                let reg = T::registration();
                // SAFETY: The client is registered (we are in its callback) and the device is
                // being added to it; the core takes the pointer and hands it back to `remove`.
                unsafe { bindings::ib_set_client_data(ibdev, reg.as_raw(), data.into_foreign()) };
                0
            }
            Err(e) => e.to_errno(),
        }
    }

    /// The `remove` callback of `struct ib_client`.
    ///
    /// # Safety
    ///
    /// Called by the RDMA core only, with a device it holds a reference on and the client data
    /// that `add_callback()` set for it.
    unsafe extern "C" fn remove_callback(ibdev: *mut bindings::ib_device, data: *mut c_void) {
        // SAFETY: The core keeps the device registered during the callback (the driver's
        // unregistration removes the clients before it tears the device down).
        let dev = unsafe { RegisteredDevice::from_raw(ibdev) };
        // `add` succeeded for this device, else the core would not call `remove`, so `data` is
        // what `add_callback()` stored.
        // SAFETY: `data` came from `into_foreign()` in `add_callback()` and the core hands it back
        // exactly once.
        let data = unsafe { T::Data::from_foreign(data) };
        T::remove(dev, data);
    }
}

/// A registered RDMA client; dropping it unregisters the client (`ib_unregister_client()`),
/// which calls `remove` for every device the client was added to.
///
/// # Invariants
///
/// `reg` is registered with the core, and this is its only guard.
pub struct ClientGuard<T: HasRegistration> {
    reg: &'static Registration<T>,
}

impl<T: HasRegistration> Drop for ClientGuard<T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: By the type invariant the client is registered.
        unsafe { bindings::ib_unregister_client(self.reg.as_raw()) };
        self.reg.registered.store(false, Ordering::Release);
    }
}
