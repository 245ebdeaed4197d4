// SPDX-License-Identifier: GPL-2.0

//! The commands of `write()` (`include/uapi/rdma/rdma_user_cm.h`), in C's order of checks, so
//! that every bad input gets the errno `ucma.c` gives it.

use super::{
    context::{
        destroy_private,
        Context,
        User, //
    },
    event::Event,
    ffi::{
        self,
        FdRef,
        Filp,
        LockedId, //
    },
    file::File,
    multicast,
    user, //
};
use core::{
    mem::size_of,
    sync::atomic::Ordering, //
};
use kernel::{
    bindings,
    prelude::*,
    rdma::{
        addr::{
            Family,
            SockAddr, //
        },
        cm::{
            BareEvent,
            ConnParam,
            PortSpace, //
        },
        ucm::{
            self,
            Bind,
            ResolveAddr, //
        },
    },
    sync::{
        Arc,
        ArcBorrow, //
    },
    transmute::AsBytes,
};

/// How many commands there are (C's `ARRAY_SIZE(ucma_cmd_table)`).
const NCMDS: u32 = bindings::RDMA_USER_CM_CMD_WRITE_CM_EVENT + 1;

/// `ucma_write()`: runs the command at `buf`, `len` bytes; the whole write on success.
pub(crate) fn write(
    file: ArcBorrow<'_, File>,
    filp: &Filp<'_>,
    buf: u64,
    len: usize,
) -> Result<usize> {
    if !filp.safe_access() {
        return Err(EACCES);
    }
    let hdr_len = size_of::<bindings::rdma_ucm_cmd_hdr>();
    if len < hdr_len {
        return Err(EINVAL);
    }
    let hdr: bindings::rdma_ucm_cmd_hdr = user::read(buf)?;
    if hdr.cmd >= NCMDS {
        return Err(EINVAL);
    }
    if usize::from(hdr.in_) + hdr_len > len {
        return Err(EINVAL);
    }
    let inbuf = buf + hdr_len as u64;
    let in_len = usize::from(hdr.in_);
    let out_len = usize::from(hdr.out);
    match hdr.cmd {
        bindings::RDMA_USER_CM_CMD_CREATE_ID => create_id(file, inbuf, out_len),
        bindings::RDMA_USER_CM_CMD_DESTROY_ID => destroy_id(file, inbuf, out_len),
        bindings::RDMA_USER_CM_CMD_BIND_IP => bind_ip(file, inbuf),
        bindings::RDMA_USER_CM_CMD_RESOLVE_IP => resolve_ip(file, inbuf),
        bindings::RDMA_USER_CM_CMD_RESOLVE_ROUTE => resolve_route(file, inbuf),
        bindings::RDMA_USER_CM_CMD_QUERY_ROUTE => query_route(file, inbuf, out_len),
        bindings::RDMA_USER_CM_CMD_CONNECT => connect(file, inbuf, in_len),
        bindings::RDMA_USER_CM_CMD_LISTEN => listen(file, inbuf),
        bindings::RDMA_USER_CM_CMD_ACCEPT => accept(file, inbuf, in_len),
        bindings::RDMA_USER_CM_CMD_REJECT => reject(file, inbuf),
        bindings::RDMA_USER_CM_CMD_DISCONNECT => disconnect(file, inbuf),
        bindings::RDMA_USER_CM_CMD_INIT_QP_ATTR => init_qp_attr(file, inbuf, out_len),
        bindings::RDMA_USER_CM_CMD_GET_EVENT => file.get_event(filp, inbuf, out_len),
        bindings::RDMA_USER_CM_CMD_SET_OPTION => set_option(file, inbuf),
        bindings::RDMA_USER_CM_CMD_NOTIFY => notify(file, inbuf),
        bindings::RDMA_USER_CM_CMD_JOIN_IP_MCAST => multicast::join_ip(file, inbuf, out_len),
        bindings::RDMA_USER_CM_CMD_LEAVE_MCAST => multicast::leave(file, inbuf, out_len),
        bindings::RDMA_USER_CM_CMD_MIGRATE_ID => migrate_id(file, inbuf),
        bindings::RDMA_USER_CM_CMD_QUERY => query(file, inbuf, out_len),
        bindings::RDMA_USER_CM_CMD_BIND => bind(file, inbuf),
        bindings::RDMA_USER_CM_CMD_RESOLVE_ADDR => resolve_addr(file, inbuf),
        bindings::RDMA_USER_CM_CMD_JOIN_MCAST => multicast::join(file, inbuf, out_len),
        bindings::RDMA_USER_CM_CMD_RESOLVE_IB_SERVICE => resolve_ib_service(file, inbuf),
        bindings::RDMA_USER_CM_CMD_WRITE_CM_EVENT => write_cm_event(file, inbuf),
        // GET_OPTION has never been implemented.
        _ => Err(ENOSYS),
    }?;
    Ok(len)
}

/// CREATE_ID.
fn create_id(file: ArcBorrow<'_, File>, inbuf: u64, out_len: usize) -> Result {
    if out_len < size_of::<bindings::rdma_ucm_create_id_resp>() {
        return Err(ENOSPC);
    }
    let cmd: bindings::rdma_ucm_create_id = user::read(inbuf)?;
    let ps = PortSpace::from_raw(u32::from(cmd.ps)).ok_or(EINVAL)?;
    let qp_type = match ps {
        PortSpace::Tcp => bindings::ib_qp_type_IB_QPT_RC,
        PortSpace::Udp | PortSpace::Ipoib => bindings::ib_qp_type_IB_QPT_UD,
        PortSpace::Ib => u32::from(cmd.qp_type),
    };
    let ctx = Context::new(file, cmd.uid)?;
    if let Err(e) = ctx.create_cm_id(ps, qp_type) {
        destroy_private(ctx);
        return Err(e);
    }
    let resp = bindings::rdma_ucm_create_id_resp { id: ctx.id };
    if let Err(e) = user::write(cmd.response, &resp) {
        destroy_private(ctx);
        return Err(e);
    }
    ctx.finish(&mut file.inner.lock());
    Ok(())
}

/// DESTROY_ID: destroys the context, with its unread events and joins, and says how many of
/// its events the user read.
fn destroy_id(file: ArcBorrow<'_, File>, inbuf: u64, out_len: usize) -> Result {
    if out_len < size_of::<bindings::rdma_ucm_destroy_id_resp>() {
        return Err(ENOSPC);
    }
    let cmd: bindings::rdma_ucm_destroy_id = user::read(inbuf)?;
    let ctx = {
        let mut table = file.tables.ctxs.lock();
        if !table.get(cmd.id as usize).ok_or(ENOENT)?.is_of(&file) {
            return Err(EINVAL);
        }
        // Keep the id reserved while the context is destroyed.
        table.take_reserving(cmd.id as usize).ok_or(ENOENT)?
    };
    let resp = bindings::rdma_ucm_destroy_id_resp {
        events_reported: destroy_private(ctx) as u32,
    };
    user::write(cmd.response, &resp)
}

/// BIND_IP.
fn bind_ip(file: ArcBorrow<'_, File>, inbuf: u64) -> Result {
    let cmd: bindings::rdma_ucm_bind_ip = user::read(inbuf)?;
    let addr = in6_addr(&cmd.addr).ok_or(EINVAL)?;
    let user = Context::get(file, cmd.id)?;
    let id = user.lock();
    id.bind(&addr)
}

/// `rdma_addr_size_in6()`: the address of a `sockaddr_in6` field, if its family's size fits
/// one.
fn in6_addr(a: &bindings::sockaddr_in6) -> Option<SockAddr> {
    let addr = SockAddr::from_bytes(a.as_bytes());
    let size = addr.addr_size();
    (size != 0 && size <= size_of::<bindings::sockaddr_in6>()).then_some(addr)
}

/// BIND.
fn bind(file: ArcBorrow<'_, File>, inbuf: u64) -> Result {
    let cmd: Bind = user::read(inbuf)?;
    if cmd.reserved != 0 || cmd.addr_size == 0 || usize::from(cmd.addr_size) != cmd.addr.addr_size()
    {
        return Err(EINVAL);
    }
    let user = Context::get(file, cmd.id)?;
    let id = user.lock();
    id.bind(&cmd.addr)
}

/// RESOLVE_IP.
fn resolve_ip(file: ArcBorrow<'_, File>, inbuf: u64) -> Result {
    let cmd: bindings::rdma_ucm_resolve_ip = user::read(inbuf)?;
    let src = if cmd.src_addr.sin6_family != 0 {
        in6_addr(&cmd.src_addr).ok_or(EINVAL)?
    } else {
        SockAddr::from_bytes(cmd.src_addr.as_bytes())
    };
    let dst = in6_addr(&cmd.dst_addr).ok_or(EINVAL)?;
    let user = Context::get(file, cmd.id)?;
    let id = user.lock();
    id.resolve_addr(&src, &dst, cmd.timeout_ms)
}

/// RESOLVE_ADDR.
fn resolve_addr(file: ArcBorrow<'_, File>, inbuf: u64) -> Result {
    let cmd: ResolveAddr = user::read(inbuf)?;
    if cmd.reserved != 0
        || (cmd.src_size != 0 && usize::from(cmd.src_size) != cmd.src_addr.addr_size())
        || cmd.dst_size == 0
        || usize::from(cmd.dst_size) != cmd.dst_addr.addr_size()
    {
        return Err(EINVAL);
    }
    let user = Context::get(file, cmd.id)?;
    let id = user.lock();
    id.resolve_addr(&cmd.src_addr, &cmd.dst_addr, cmd.timeout_ms)
}

/// RESOLVE_IB_SERVICE.
fn resolve_ib_service(file: ArcBorrow<'_, File>, inbuf: u64) -> Result {
    let mut cmd: bindings::rdma_ucm_resolve_ib_service = user::read(inbuf)?;
    let user = Context::get(file, cmd.id)?;
    let id = user.lock();
    id.resolve_ib_service(&mut cmd.ibs)
}

/// RESOLVE_ROUTE.
fn resolve_route(file: ArcBorrow<'_, File>, inbuf: u64) -> Result {
    let cmd: bindings::rdma_ucm_resolve_route = user::read(inbuf)?;
    let user = Context::get_dev(file, cmd.id)?;
    let id = user.lock();
    id.resolve_route(cmd.timeout_ms)
}

/// QUERY_ROUTE.
fn query_route(file: ArcBorrow<'_, File>, inbuf: u64, out_len: usize) -> Result {
    if out_len < core::mem::offset_of!(bindings::rdma_ucm_query_route_resp, ibdev_index) {
        return Err(ENOSPC);
    }
    let cmd: bindings::rdma_ucm_query = user::read(inbuf)?;
    let user = Context::get(file, cmd.id)?;
    let resp = ffi::route(&user.lock());
    user::write_part(cmd.response, &resp, out_len)
}

/// QUERY, of the address, the paths, the GIDs or the IB service records.
fn query(file: ArcBorrow<'_, File>, inbuf: u64, out_len: usize) -> Result {
    let cmd: bindings::rdma_ucm_query = user::read(inbuf)?;
    let user = Context::get(file, cmd.id)?;
    let id = user.lock();
    let addr_min = core::mem::offset_of!(bindings::rdma_ucm_query_addr_resp, ibdev_index);
    match cmd.option {
        bindings::RDMA_USER_CM_QUERY_ADDR | bindings::RDMA_USER_CM_QUERY_GID => {
            if out_len < addr_min {
                return Err(ENOSPC);
            }
            let gid = cmd.option == bindings::RDMA_USER_CM_QUERY_GID;
            user::write_part(cmd.response, &ffi::addr(&id, gid), out_len)
        }
        bindings::RDMA_USER_CM_QUERY_PATH => {
            if out_len < ucm::QUERY_PATH_HEAD {
                return Err(ENOSPC);
            }
            let mut buf = KVec::from_elem(0u8, out_len, GFP_KERNEL)?;
            let n = ffi::paths(&id, &mut buf)?;
            let len = ucm::QUERY_PATH_HEAD + n * size_of::<bindings::ib_path_rec_data>();
            user::write_bytes(cmd.response, buf.get(..len).ok_or(EINVAL)?)
        }
        bindings::RDMA_USER_CM_QUERY_IB_SERVICE => query_ib_service(&id, cmd.response, out_len),
        _ => Err(ENOSYS),
    }
}

/// QUERY of the IB service records: as many as fit after the header.
fn query_ib_service(id: &LockedId<'_>, response: u64, out_len: usize) -> Result {
    let head = ucm::QUERY_IB_SERVICE_HEAD;
    if out_len < head {
        return Err(ENOSPC);
    }
    let (count, recs) = ffi::service_recs(id).ok_or(ENODATA)?;
    let n = (out_len - head) / size_of::<bindings::ib_user_service_rec>();
    if n == 0 {
        return Ok(());
    }
    let n = n.min(recs.len());
    let mut buf = KVec::with_capacity(
        head + n * size_of::<bindings::ib_user_service_rec>(),
        GFP_KERNEL,
    )?;
    // The header: `num_service_recs`, then zero up to the records.
    buf.extend_from_slice(&count.to_ne_bytes(), GFP_KERNEL)?;
    buf.resize(head, 0, GFP_KERNEL)?;
    for r in &recs[..n] {
        buf.extend_from_slice(r.as_bytes(), GFP_KERNEL)?;
    }
    user::write_bytes(response, &buf)
}

/// The ECE of CONNECT and ACCEPT: only if the user's input reaches it.
fn ece(in_size: usize, end: usize, ece: &bindings::rdma_ucm_ece) -> bindings::rdma_ucm_ece {
    if end <= in_size {
        *ece
    } else {
        bindings::rdma_ucm_ece::default()
    }
}

/// Whether the id's source address is an `AF_IB` one (its connections carry the user's
/// Q_Key).
fn af_ib(id: &LockedId<'_>) -> bool {
    id.src_addr().family() == Family::Ib
}

/// CONNECT: takes input down to `reserved` (older users have no ECE).
fn connect(file: ArcBorrow<'_, File>, inbuf: u64, in_len: usize) -> Result {
    let min = core::mem::offset_of!(bindings::rdma_ucm_connect, reserved) + size_of::<u32>();
    if in_len < min {
        return Err(EINVAL);
    }
    let in_size = in_len.min(size_of::<bindings::rdma_ucm_connect>());
    let cmd: bindings::rdma_ucm_connect = user::read_part(inbuf, in_size)?;
    if cmd.conn_param.valid == 0 {
        return Err(EINVAL);
    }
    let user = Context::get_dev(file, cmd.id)?;
    let end = core::mem::offset_of!(bindings::rdma_ucm_connect, ece)
        + size_of::<bindings::rdma_ucm_ece>();
    let mut ece = ece(in_size, end, &cmd.ece);
    let id = user.lock();
    let param = ConnParam::from_ucm(&cmd.conn_param, af_ib(&id));
    id.connect(&param, &mut ece)
}

/// LISTEN.
fn listen(file: ArcBorrow<'_, File>, inbuf: u64) -> Result {
    let mut cmd: bindings::rdma_ucm_listen = user::read(inbuf)?;
    let user = Context::get(file, cmd.id)?;
    let max = ffi::max_backlog();
    if cmd.backlog == 0 || cmd.backlog > max {
        cmd.backlog = max;
    }
    user.backlog.store(cmd.backlog as i32, Ordering::Relaxed);
    let id = user.lock();
    id.listen(cmd.backlog as i32)
}

/// ACCEPT: takes input down to `reserved`; with connection parameters the user's uid is set
/// with the handler mutex held, so that the id's events are reported from then on.
fn accept(file: ArcBorrow<'_, File>, inbuf: u64, in_len: usize) -> Result {
    let min = core::mem::offset_of!(bindings::rdma_ucm_accept, reserved) + size_of::<u32>();
    if in_len < min {
        return Err(EINVAL);
    }
    let in_size = in_len.min(size_of::<bindings::rdma_ucm_accept>());
    let cmd: bindings::rdma_ucm_accept = user::read_part(inbuf, in_size)?;
    let user = Context::get_dev(file, cmd.id)?;
    let end =
        core::mem::offset_of!(bindings::rdma_ucm_accept, ece) + size_of::<bindings::rdma_ucm_ece>();
    let mut ece = ece(in_size, end, &cmd.ece);
    let id = user.lock();
    let _h = id.lock_handler();
    if cmd.conn_param.valid != 0 {
        let param = ConnParam::from_ucm(&cmd.conn_param, af_ib(&id));
        id.accept(Some(&param), &mut ece)?;
        user.set_uid(cmd.uid);
        Ok(())
    } else {
        id.accept(None, &mut ece)
    }
}

/// REJECT.
fn reject(file: ArcBorrow<'_, File>, inbuf: u64) -> Result {
    let cmd: bindings::rdma_ucm_reject = user::read(inbuf)?;
    let reason = match u32::from(cmd.reason) {
        0 => bindings::ib_cm_rej_reason_IB_CM_REJ_CONSUMER_DEFINED,
        r @ (bindings::ib_cm_rej_reason_IB_CM_REJ_CONSUMER_DEFINED
        | bindings::ib_cm_rej_reason_IB_CM_REJ_VENDOR_OPTION_NOT_SUPPORTED) => r,
        _ => return Err(EINVAL),
    };
    let user = Context::get_dev(file, cmd.id)?;
    // `private_data_len` is a `u8`, the array `RDMA_MAX_PRIVATE_DATA` (256) long.
    let data = cmd
        .private_data
        .get(..usize::from(cmd.private_data_len))
        .ok_or(EINVAL)?;
    let id = user.lock();
    id.reject(data, reason as u8)
}

/// DISCONNECT.
fn disconnect(file: ArcBorrow<'_, File>, inbuf: u64) -> Result {
    let cmd: bindings::rdma_ucm_disconnect = user::read(inbuf)?;
    let user = Context::get_dev(file, cmd.id)?;
    let id = user.lock();
    id.disconnect()
}

/// INIT_QP_ATTR.
fn init_qp_attr(file: ArcBorrow<'_, File>, inbuf: u64, out_len: usize) -> Result {
    if out_len < size_of::<bindings::ib_uverbs_qp_attr>() {
        return Err(ENOSPC);
    }
    let cmd: bindings::rdma_ucm_init_qp_attr = user::read(inbuf)?;
    if cmd.qp_state > bindings::ib_qp_state_IB_QPS_ERR {
        return Err(EINVAL);
    }
    let user = Context::get_dev(file, cmd.id)?;
    let resp = ffi::init_qp_attr(&user.lock(), cmd.qp_state)?;
    user::write(cmd.response, &resp)
}

/// SET_OPTION.
fn set_option(file: ArcBorrow<'_, File>, inbuf: u64) -> Result {
    let cmd: bindings::rdma_ucm_set_option = user::read(inbuf)?;
    if cmd.optlen as usize > bindings::KMALLOC_MAX_SIZE as usize {
        return Err(EINVAL);
    }
    let user = Context::get(file, cmd.id)?;
    let mut val = KVec::new();
    user::user(cmd.optval, cmd.optlen as usize).read_all(&mut val, GFP_KERNEL)?;
    match cmd.level {
        bindings::RDMA_OPTION_ID => set_option_id(&user.lock(), cmd.optname, &val),
        bindings::RDMA_OPTION_IB => match cmd.optname {
            bindings::RDMA_OPTION_IB_PATH => set_ib_path(&user, &mut val),
            _ => Err(ENOSYS),
        },
        _ => Err(ENOSYS),
    }
}

/// SET_OPTION at level `RDMA_OPTION_ID`.
fn set_option_id(id: &LockedId<'_>, name: u32, val: &[u8]) -> Result {
    let int = |v: &[u8]| -> Result<bool> {
        let b: [u8; 4] = v.try_into().map_err(|_| EINVAL)?;
        Ok(i32::from_ne_bytes(b) != 0)
    };
    let byte = |v: &[u8]| -> Result<u8> {
        match v {
            [b] => Ok(*b),
            _ => Err(EINVAL),
        }
    };
    match name {
        bindings::RDMA_OPTION_ID_TOS => {
            id.set_tos(byte(val)?);
            Ok(())
        }
        bindings::RDMA_OPTION_ID_REUSEADDR => id.set_reuseaddr(int(val)?),
        bindings::RDMA_OPTION_ID_AFONLY => id.set_afonly(int(val)?),
        bindings::RDMA_OPTION_ID_ACK_TIMEOUT => id.set_ack_timeout(byte(val)?),
        _ => Err(ENOSYS),
    }
}

/// `RDMA_OPTION_IB_PATH`: sets the id's route and reports it resolved.
fn set_ib_path(user: &User, val: &mut [u8]) -> Result {
    let cm_id = user.cm_id();
    let mut rec = ffi::unpack_ib_path(cm_id, val)?;
    user.lock().set_ib_path(&mut rec)?;
    let _h = cm_id.lock_handler();
    // An event made here, not by rdma_cm: `ROUTE_RESOLVED`, without parameters.
    let mut raw = BareEvent::new(bindings::rdma_cm_event_type_RDMA_CM_EVENT_ROUTE_RESOLVED);
    if user.uid() != 0 {
        let ev = Event::new(user.ctx(), cm_id, &mut raw.as_event(), None);
        user.file().push_event(ev);
    }
    Ok(())
}

/// NOTIFY.
fn notify(file: ArcBorrow<'_, File>, inbuf: u64) -> Result {
    let cmd: bindings::rdma_ucm_notify = user::read(inbuf)?;
    let user = Context::get(file, cmd.id)?;
    let id = user.lock();
    if !id.has_device() {
        return Err(EINVAL);
    }
    id.notify(cmd.event)
}

/// MIGRATE_ID: moves a context, with its unread events, from the file `fd` to this one.
fn migrate_id(new_file: ArcBorrow<'_, File>, inbuf: u64) -> Result {
    let cmd: bindings::rdma_ucm_migrate_id = user::read(inbuf)?;
    // Holding the source file keeps it from being closed meanwhile.
    let f = FdRef::get(cmd.fd)?;
    let cur_file = f.file();
    let user = Context::get(cur_file, cmd.id)?;
    let cm_id = user.cm_id();
    let _h = cm_id.lock_handler();
    {
        let table = cur_file.tables.ctxs.lock();
        // Not being destroyed since the lookup.
        if !table
            .get(cmd.id as usize)
            .is_some_and(|c| core::ptr::eq(&*c, &**user.ctx()))
            || !user.is_of(&cur_file)
        {
            return Err(ENOENT);
        }
        user.set_file(new_file);
    }
    let mut moved = KVec::new();
    let (listed, resp) = {
        let mut inner = cur_file.inner.lock();
        // The context is on its file's list from its creation to its destruction, which waits
        // for `user`.
        let listed = inner.ctxs.remove(user.ctx()).map(|(_, listed)| listed);
        // The handler mutex keeps new events of the context away.
        let mut i = 0;
        while i < inner.events.len() {
            if Arc::ptr_eq(&inner.events[i].ctx, user.ctx()) {
                if let Ok(ev) = inner.events.remove(i) {
                    // Without memory the event is dropped, as C drops one it cannot allocate.
                    let _ = moved.push(ev, GFP_KERNEL);
                }
            } else {
                i += 1;
            }
        }
        let resp = bindings::rdma_ucm_migrate_resp {
            events_reported: user.events_reported.load(Ordering::Relaxed) as u32,
        };
        (listed, resp)
    };
    {
        let mut inner = new_file.inner.lock();
        if let Some(listed) = listed {
            inner.add_listed(listed);
        } else {
            kernel::warn_on!(true);
        }
        for ev in moved.drain_all() {
            let _ = inner.events.push(ev, GFP_KERNEL);
        }
    }
    new_file.wake();
    user::write(cmd.response, &resp)
}

/// WRITE_CM_EVENT: an event of the user's, queued for the context.
fn write_cm_event(file: ArcBorrow<'_, File>, inbuf: u64) -> Result {
    let cmd: bindings::rdma_ucm_write_cm_event = user::read(inbuf)?;
    if cmd.event != bindings::rdma_cm_event_type_RDMA_CM_EVENT_USER
        && cmd.event != bindings::rdma_cm_event_type_RDMA_CM_EVENT_INTERNAL
    {
        return Err(EINVAL);
    }
    let user = Context::get(file, cmd.id)?;
    let arg = ucm::write_event_arg(&cmd);
    let _h = user.cm_id().lock_handler();
    if user.uid() == 0 {
        return Err(EINVAL);
    }
    let ev = Event::user(user.ctx(), cmd.event, cmd.status, arg);
    user.file().push_event(ev);
    Ok(())
}
