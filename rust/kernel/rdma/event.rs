// SPDX-License-Identifier: GPL-2.0

//! Asynchronous events of an RDMA device (`struct ib_event_handler`).
//!
//! C header: [`include/rdma/ib_verbs.h`](srctree/include/rdma/ib_verbs.h).

use super::device::{
    Device,
    RegisteredDevice, //
};
use crate::{
    bindings,
    prelude::*,
    sync::aref::ARef,
    types::Opaque, //
};

/// The kind of an asynchronous event (`enum ib_event_type`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EventKind {
    /// `IB_EVENT_PORT_ERR`.
    PortErr,
    /// `IB_EVENT_PORT_ACTIVE`.
    PortActive,
    /// `IB_EVENT_LID_CHANGE`.
    LidChange,
    /// `IB_EVENT_PKEY_CHANGE`.
    PkeyChange,
    /// `IB_EVENT_SM_CHANGE`.
    SmChange,
    /// `IB_EVENT_CLIENT_REREGISTER`.
    ClientReregister,
    /// `IB_EVENT_GID_CHANGE`.
    GidChange,
    /// Any other event, by its C value.
    Other(u32),
}

impl EventKind {
    /// Decodes the C value.
    pub fn from_raw(raw: u32) -> Self {
        match raw {
            bindings::ib_event_type_IB_EVENT_PORT_ERR => Self::PortErr,
            bindings::ib_event_type_IB_EVENT_PORT_ACTIVE => Self::PortActive,
            bindings::ib_event_type_IB_EVENT_LID_CHANGE => Self::LidChange,
            bindings::ib_event_type_IB_EVENT_PKEY_CHANGE => Self::PkeyChange,
            bindings::ib_event_type_IB_EVENT_SM_CHANGE => Self::SmChange,
            bindings::ib_event_type_IB_EVENT_CLIENT_REREGISTER => Self::ClientReregister,
            bindings::ib_event_type_IB_EVENT_GID_CHANGE => Self::GidChange,
            other => Self::Other(other),
        }
    }
}

/// A port event: what happened and to which port. Events of other elements (QPs, CQs, SRQs,
/// the whole device) have no port; [`Event::port`] is `None` for them.
#[derive(Clone, Copy, Debug)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The port, for port events.
    pub port: Option<u32>,
}

impl Event {
    fn from_raw(ev: &bindings::ib_event) -> Self {
        let kind = EventKind::from_raw(ev.event);
        let port = match kind {
            EventKind::PortErr
            | EventKind::PortActive
            | EventKind::LidChange
            | EventKind::PkeyChange
            | EventKind::SmChange
            | EventKind::ClientReregister
            | EventKind::GidChange => {
                // SAFETY: The port member of the union is the one set for port events.
                Some(unsafe { ev.element.port_num })
            }
            EventKind::Other(_) => None,
        };
        Self { kind, port }
    }
}

/// What an event handler does with the device's events.
///
/// Handlers are `'static`: a registration whose memory is leaked stays registered, and the core
/// keeps calling its handler.
pub trait EventHandler: Send + Sync + 'static {
    /// Called for every asynchronous event of the device, in process context, under the
    /// device's event handler lock (`event_handler_rwsem`), so handlers run one event at a time
    /// per device and must not register or unregister handlers.
    ///
    /// Most events come from ib_core's work item (`ib_dispatch_event()` queues them), but
    /// [`EventKind::GidChange`] is dispatched synchronously by the GID cache, from the context
    /// that changed the table and with the port's GID table mutex held: a handler must not wait
    /// for anything that takes that mutex (such as a GID table update or a flush of a queue
    /// whose work does one) and should only record or queue work.
    fn event(&self, ev: &Event);
}

/// A registered event handler: registered when initialized, unregistered when dropped.
///
/// # Invariants
///
/// `handler` is registered with ib_core for `dev` from initialization until drop, and its
/// `handler` callback is [`EventRegistration::callback`] for `T`.
#[pin_data(PinnedDrop)]
pub struct EventRegistration<T: EventHandler> {
    data: T,
    dev: ARef<Device>,
    #[pin]
    handler: Opaque<bindings::ib_event_handler>,
}

// SAFETY: ib_core calls the handler from any thread; `T` is `Send + Sync`.
unsafe impl<T: EventHandler> Send for EventRegistration<T> {}
// SAFETY: `&self` gives access to `T`, which is `Sync`, only.
unsafe impl<T: EventHandler> Sync for EventRegistration<T> {}

impl<T: EventHandler> EventRegistration<T> {
    /// Registers `data` for the events of `dev` (`INIT_IB_EVENT_HANDLER()` and
    /// `ib_register_event_handler()`).
    #[inline]
    pub fn new(dev: &RegisteredDevice, data: T) -> impl PinInit<Self> {
        let raw = dev.as_raw();
        let dev: ARef<Device> = ARef::from(&**dev);
        pin_init!(Self {
            data,
            dev,
            // INVARIANT: Registered here with our callback, unregistered in `drop()`.
            handler <- Opaque::ffi_init(move |slot: *mut bindings::ib_event_handler| {
                // SAFETY: `slot` is valid for writes and pinned; `data` and `dev` are already
                // initialized, so the callback may run as soon as the handler is registered.
                unsafe {
                    (*slot).device = raw;
                    (*slot).handler = Some(Self::callback);
                    bindings::INIT_LIST_HEAD(&raw mut (*slot).list);
                    bindings::ib_register_event_handler(slot);
                }
            }),
        })
    }

    /// The handler's data.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The device whose events are handled.
    pub fn device(&self) -> &Device {
        &self.dev
    }

    /// The `handler` callback of the `struct ib_event_handler`.
    ///
    /// # Safety
    ///
    /// Called by ib_core only, with the registered handler and a valid event.
    unsafe extern "C" fn callback(
        handler: *mut bindings::ib_event_handler,
        ev: *mut bindings::ib_event,
    ) {
        // SAFETY: By the type invariant `handler` is the `handler` field of a live
        // `EventRegistration<T>` (it is unregistered before it is dropped).
        let this = unsafe {
            &*crate::container_of!(
                handler.cast::<Opaque<bindings::ib_event_handler>>(),
                Self,
                handler
            )
        };
        // SAFETY: ib_core passes a valid event for the duration of the call.
        let ev = Event::from_raw(unsafe { &*ev });
        this.data.event(&ev);
    }
}

#[pinned_drop]
impl<T: EventHandler> PinnedDrop for EventRegistration<T> {
    #[inline]
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: Registered since initialization (type invariant). Unregistering waits for
        // running handlers under ib_core's event handler lock.
        unsafe { bindings::ib_unregister_event_handler(self.handler.get()) };
    }
}
