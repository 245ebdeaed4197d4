// SPDX-License-Identifier: GPL-2.0

//! Network namespaces, `struct net`.
//!
//! C header: [`include/net/net_namespace.h`](srctree/include/net/net_namespace.h).

use crate::{
    bindings,
    sync::aref::{
        ARef,
        AlwaysRefCounted, //
    },
    types::Opaque, //
};
use core::ptr::NonNull;

/// A network namespace, `struct net`.
///
/// # Invariants
///
/// The wrapped `net` is referenced (`get_net()`) while a `&Namespace` exists, or is `init_net`.
#[repr(transparent)]
pub struct Namespace(Opaque<bindings::net>);

// SAFETY: Namespaces are referenced and released from any thread.
unsafe impl Send for Namespace {}
// SAFETY: Nothing here reads or writes the namespace's fields.
unsafe impl Sync for Namespace {}

// SAFETY: `get_net()`/`put_net()` keep the namespace allocated.
unsafe impl AlwaysRefCounted for Namespace {
    fn inc_ref(&self) {
        // SAFETY: By the type invariant the namespace is referenced.
        unsafe { bindings::get_net(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns a reference taken by `inc_ref()` or `current()`.
        unsafe { bindings::put_net(obj.as_ptr().cast()) };
    }
}

impl Namespace {
    /// The network namespace of the current task, or `None` if it has none any more (it is
    /// exiting).
    pub fn current() -> Option<ARef<Namespace>> {
        // SAFETY: Reads the current task's own namespace proxy, which only the task changes.
        let p = unsafe { bindings::current_net_get() };
        // INVARIANT: `current_net_get()` took a reference for us.
        // SAFETY: The reference taken above is ours to give to the `ARef`.
        NonNull::new(p).map(|p| unsafe { ARef::from_raw(p.cast()) })
    }

    /// The initial network namespace, which lives forever.
    pub fn init() -> &'static Namespace {
        // SAFETY: `init_net` is a static that is never freed; `Namespace` is transparent.
        unsafe { &*(&raw mut bindings::init_net).cast::<Namespace>() }
    }

    /// Whether this is the initial namespace.
    pub fn is_init(&self) -> bool {
        core::ptr::eq(self, Self::init())
    }

    /// The namespace, for C functions that take it.
    pub fn as_raw(&self) -> *mut bindings::net {
        self.0.get()
    }
}
