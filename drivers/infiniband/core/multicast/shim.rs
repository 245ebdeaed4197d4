// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers of the C glue of the multicast piece (`multicast_glue.c`): ib_core's private
//! SA query and SA client, and the inline helpers the piece needs.

use super::{group::Group, Ports};
use core::ffi::{c_int, c_void};
use kernel::{
    bindings,
    error::{from_err_ptr, to_result},
    prelude::*,
    rdma::{
        sa::{CompMask, McMemberRec},
        Device, Gid,
    },
    seq_file::SeqFile,
    seq_print,
    sync::Arc,
};

#[allow(improper_ctypes)]
extern "C" {
    fn rdma_rs_mcast_sa_query(
        dev: *mut bindings::ib_device,
        port: u32,
        method: u8,
        rec: *mut bindings::ib_sa_mcmember_rec,
        comp_mask: u64,
        context: *mut c_void,
    ) -> c_int;
    fn rdma_rs_mcast_client_get(client: *mut bindings::ib_sa_client);
    fn rdma_rs_mcast_client_put(client: *mut bindings::ib_sa_client);
    fn rdma_rs_mcast_ah_init(
        ah_attr: *mut bindings::rdma_ah_attr,
        dev: *mut bindings::ib_device,
        port: u32,
        rec: *const bindings::ib_sa_mcmember_rec,
        sgid_attr: *const bindings::ib_gid_attr,
    );
    fn rdma_rs_mcast_glue_init();
    fn rdma_rs_mcast_glue_exit();
    fn rdma_rs_mcast_debugfs_add(dev: *mut bindings::ib_device, data: *mut c_void) -> *mut c_void;
    fn rdma_rs_mcast_debugfs_remove(dentry: *mut c_void);
}

/// Sends an MCMemberRecord query for `group` on `port` of `dev`; it completes through
/// [`rdma_rs_mcast_sa_done`].
pub(super) fn sa_query(
    dev: &Device,
    port: u32,
    method: u8,
    rec: &McMemberRec,
    comp: CompMask,
    group: Arc<Group>,
) -> Result {
    let mut rec = *rec;
    let (raw, mask) = (dev.as_raw(), comp.raw());
    let ctx = Arc::into_raw(group).cast_mut().cast::<c_void>();
    // SAFETY: `dev` is a registered device; `rec` is valid for the call (the query copies it);
    // `ctx` is an `Arc<Group>` that the completion takes back.
    let ret = unsafe { rdma_rs_mcast_sa_query(raw, port, method, &mut rec.0, mask, ctx) };
    if ret < 0 {
        // SAFETY: The query was not sent, so the completion will not take the reference back.
        drop(unsafe { Arc::<Group>::from_raw(ctx.cast::<Group>()) });
    }
    to_result(ret)
}

/// Completion of a query of [`sa_query`], called by the glue once per query.
///
/// # Safety
///
/// `ctx` is the context of a query sent by [`sa_query`], not completed before; `rec` is null
/// or valid for the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_mcast_sa_done(
    ctx: *mut c_void,
    method: u8,
    status: c_int,
    rec: *const bindings::ib_sa_mcmember_rec,
) {
    // SAFETY: `ctx` came from `Arc::into_raw()` in `sa_query()` and is taken back once.
    let group = unsafe { Arc::<Group>::from_raw(ctx.cast::<Group>()) };
    let rec = if rec.is_null() {
        None
    } else {
        // SAFETY: The caller guarantees that a non-null `rec` is valid.
        Some(McMemberRec(unsafe { *rec }))
    };
    Group::sa_done(group, method, status, rec.as_ref());
}

/// The P_Key index of `pkey` on `port` (`ib_find_pkey()`).
pub(super) fn find_pkey(dev: &Device, port: u32, pkey: u16) -> Result<u16> {
    let mut index = 0u16;
    // SAFETY: `dev` is a registered device and `index` is valid for writes.
    to_result(unsafe { bindings::ib_find_pkey(dev.as_raw(), port, pkey, &mut index) })?;
    Ok(index)
}

/// A reference of a user's `struct ib_sa_client` (`ib_sa_client_get()`/`_put()`): the
/// client cannot unregister while a member of it exists.
///
/// # Invariants
///
/// `0` is a registered SA client on which this object holds one user reference.
pub(crate) struct SaClientRef(*mut bindings::ib_sa_client);

// SAFETY: The user count is atomic; the pointer is only passed to C.
unsafe impl Send for SaClientRef {}
// SAFETY: No `&self` method.
unsafe impl Sync for SaClientRef {}

impl SaClientRef {
    /// Takes a user reference of `client`.
    ///
    /// # Safety
    ///
    /// `client` must be a registered SA client (its owner unregisters it only after all its
    /// users are gone, which this reference delays).
    pub(crate) unsafe fn get(client: *mut bindings::ib_sa_client) -> Self {
        // SAFETY: The caller guarantees that `client` is registered.
        unsafe { rdma_rs_mcast_client_get(client) };
        // INVARIANT: One reference taken above.
        Self(client)
    }
}

impl Drop for SaClientRef {
    fn drop(&mut self) {
        // SAFETY: By the type invariant this object holds one reference.
        unsafe { rdma_rs_mcast_client_put(self.0) };
    }
}

/// The piece's SA client and debugfs folder (`ib_sa_mcast`), registered while this exists.
pub(super) struct Glue(());

impl Glue {
    pub(super) fn new() -> Self {
        // SAFETY: Called once per `rdma_rs_sa_mcast_init()`, undone by `drop()`.
        unsafe { rdma_rs_mcast_glue_init() };
        Self(())
    }
}

impl Drop for Glue {
    fn drop(&mut self) {
        // SAFETY: Paired with `rdma_rs_mcast_glue_init()` in `new()`; waits for the last user
        // of the SA client.
        unsafe { rdma_rs_mcast_glue_exit() };
    }
}

/// The debugfs file of a device, `ib_sa_mcast/<device>`: its groups and members per port.
///
/// # Invariants
///
/// `dentry` is the file (or null without debugfs) and `data` an `Arc<Ports>` from
/// `Arc::into_raw()` that the file reads until it is removed.
pub(super) struct DebugfsFile {
    dentry: *mut c_void,
    data: *const Ports,
}

// SAFETY: The pointers are only passed to C and taken back in `drop()`.
unsafe impl Send for DebugfsFile {}
// SAFETY: No `&self` method.
unsafe impl Sync for DebugfsFile {}

impl DebugfsFile {
    pub(super) fn new(dev: &Device, ports: Arc<Ports>) -> Self {
        let data = Arc::into_raw(ports);
        // SAFETY: `dev` is registered; `data` stays valid until `drop()` removes the file.
        let dentry = unsafe { rdma_rs_mcast_debugfs_add(dev.as_raw(), data.cast_mut().cast()) };
        // INVARIANT: As required.
        Self { dentry, data }
    }
}

impl Drop for DebugfsFile {
    fn drop(&mut self) {
        // SAFETY: `dentry` came from `rdma_rs_mcast_debugfs_add()`; removing it waits for
        // its readers.
        unsafe { rdma_rs_mcast_debugfs_remove(self.dentry) };
        // SAFETY: `data` came from `Arc::into_raw()` and nobody reads it any more.
        drop(unsafe { Arc::from_raw(self.data) });
    }
}

struct SeqWriter<'a>(&'a SeqFile);

impl core::fmt::Write for SeqWriter<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        seq_print!(self.0, "{}", s);
        Ok(())
    }
}

/// The show function of a [`DebugfsFile`].
///
/// # Safety
///
/// `seq` is the seq_file being shown and `data` the `data` of a live [`DebugfsFile`].
#[no_mangle]
pub(crate) unsafe extern "C" fn rdma_rs_mcast_show(
    seq: *mut bindings::seq_file,
    data: *mut c_void,
) -> c_int {
    // SAFETY: The caller guarantees both pointers for the call.
    let (seq, ports) = unsafe { (SeqFile::from_raw(seq), &*data.cast::<Ports>()) };
    let _ = ports.show(&mut SeqWriter(seq));
    0
}

/// The GID attribute of `gid` on `port` (`rdma_find_gid_by_port()`), a held reference.
pub(super) fn find_gid_by_port(
    dev: &Device,
    gid: &Gid,
    gid_type: bindings::ib_gid_type,
    port: u32,
    ndev: *mut bindings::net_device,
) -> Result<*const bindings::ib_gid_attr> {
    let raw = gid.to_raw();
    // SAFETY: `dev` is registered, `raw` valid for the call; `ndev` is null or the caller's.
    let attr = unsafe { bindings::rdma_find_gid_by_port(dev.as_raw(), &raw, gid_type, port, ndev) };
    from_err_ptr(attr.cast_mut()).map(|p| p.cast_const())
}

/// Fills `ah` for `rec` on `port` of `dev` (`memset()`, the `rdma_ah_set_*()` inlines and
/// `rdma_move_grh_sgid_attr()`), moving `sgid_attr` into it.
///
/// # Safety
///
/// `ah` must be valid for writes and `sgid_attr` a held GID attribute reference.
pub(super) unsafe fn ah_fill(
    ah: *mut bindings::rdma_ah_attr,
    dev: &Device,
    port: u32,
    rec: &McMemberRec,
    sgid_attr: *const bindings::ib_gid_attr,
) {
    // SAFETY: The caller guarantees `ah` and `sgid_attr`; `dev` is registered.
    unsafe { rdma_rs_mcast_ah_init(ah, dev.as_raw(), port, &rec.0, sgid_attr) };
}
