// SPDX-License-Identifier: GPL-2.0

//! The commands of `write()` (`include/uapi/rdma/rdma_user_cm.h`), in C's order of checks, so
//! that every bad input gets the errno `ucma.c` gives it.

use super::{
    context::{destroy_private, Context},
    event::Event,
    file::File,
    multicast,
    shim::{self, FdRef, Filp, Pod},
    CTX_TABLE,
};
use core::{mem::size_of, sync::atomic::Ordering};
use kernel::{bindings, prelude::*, sync::Arc};

/// How many commands there are (C's `ARRAY_SIZE(ucma_cmd_table)`).
const NCMDS: u32 = bindings::RDMA_USER_CM_CMD_WRITE_CM_EVENT + 1;

/// `ucma_write()`: runs the command at `buf`, `len` bytes; the whole write on success.
pub(crate) fn write(file: &Arc<File>, filp: Filp, buf: u64, len: usize) -> Result<usize> {
    if !filp.safe_access() {
        return Err(EACCES);
    }
    let hdr_len = size_of::<bindings::rdma_ucm_cmd_hdr>();
    if len < hdr_len {
        return Err(EINVAL);
    }
    let hdr: bindings::rdma_ucm_cmd_hdr = shim::read(buf)?;
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
fn create_id(file: &Arc<File>, inbuf: u64, out_len: usize) -> Result {
    if out_len < size_of::<bindings::rdma_ucm_create_id_resp>() {
        return Err(ENOSPC);
    }
    let cmd: bindings::rdma_ucm_create_id = shim::read(inbuf)?;
    let qp_type = match u32::from(cmd.ps) {
        bindings::rdma_ucm_port_space_RDMA_PS_TCP => bindings::ib_qp_type_IB_QPT_RC,
        bindings::rdma_ucm_port_space_RDMA_PS_UDP | bindings::rdma_ucm_port_space_RDMA_PS_IPOIB => {
            bindings::ib_qp_type_IB_QPT_UD
        }
        bindings::rdma_ucm_port_space_RDMA_PS_IB => u32::from(cmd.qp_type),
        _ => return Err(EINVAL),
    };
    let ctx = Context::new(file, cmd.uid)?;
    if let Err(e) = ctx.create_cm_id(u32::from(cmd.ps), qp_type) {
        destroy_private(ctx);
        return Err(e);
    }
    let resp = bindings::rdma_ucm_create_id_resp { id: ctx.id };
    if let Err(e) = shim::write_all(cmd.response, &resp) {
        destroy_private(ctx);
        return Err(e);
    }
    let mut inner = file.inner.lock();
    if let Err(e) = inner.ctxs.reserve(1, GFP_KERNEL) {
        drop(inner);
        destroy_private(ctx);
        return Err(e.into());
    }
    ctx.finish(&mut inner);
    Ok(())
}

/// DESTROY_ID: destroys the context, with its unread events and joins, and says how many of
/// its events the user read.
fn destroy_id(file: &Arc<File>, inbuf: u64, out_len: usize) -> Result {
    if out_len < size_of::<bindings::rdma_ucm_destroy_id_resp>() {
        return Err(ENOSPC);
    }
    let cmd: bindings::rdma_ucm_destroy_id = shim::read(inbuf)?;
    let ctx = {
        let mut table = CTX_TABLE.lock();
        let ctx = table.get_of(cmd.id, |c| c.is_of(file))?.clone();
        if !table.unpublish(cmd.id, &ctx) {
            return Err(ENOENT);
        }
        ctx
    };
    let resp = bindings::rdma_ucm_destroy_id_resp {
        events_reported: destroy_private(ctx) as u32,
    };
    shim::write_all(cmd.response, &resp)
}

/// BIND_IP.
fn bind_ip(file: &Arc<File>, inbuf: u64) -> Result {
    let cmd: bindings::rdma_ucm_bind_ip = shim::read(inbuf)?;
    if shim::addr_size_in6(&cmd.addr) == 0 {
        return Err(EINVAL);
    }
    let user = Context::get(file, cmd.id)?;
    let _g = user.mutex.lock();
    user.cm_id().bind(&cmd.addr)
}

/// BIND.
fn bind(file: &Arc<File>, inbuf: u64) -> Result {
    let cmd: bindings::rdma_ucm_bind = shim::read(inbuf)?;
    if cmd.reserved != 0
        || cmd.addr_size == 0
        || u32::from(cmd.addr_size) != shim::addr_size_kss(&cmd.addr)
    {
        return Err(EINVAL);
    }
    let user = Context::get(file, cmd.id)?;
    let _g = user.mutex.lock();
    user.cm_id().bind(&cmd.addr)
}

/// RESOLVE_IP.
fn resolve_ip(file: &Arc<File>, inbuf: u64) -> Result {
    let cmd: bindings::rdma_ucm_resolve_ip = shim::read(inbuf)?;
    if (cmd.src_addr.sin6_family != 0 && shim::addr_size_in6(&cmd.src_addr) == 0)
        || shim::addr_size_in6(&cmd.dst_addr) == 0
    {
        return Err(EINVAL);
    }
    let user = Context::get(file, cmd.id)?;
    let _g = user.mutex.lock();
    user.cm_id()
        .resolve_addr(&cmd.src_addr, &cmd.dst_addr, cmd.timeout_ms)
}

/// RESOLVE_ADDR.
fn resolve_addr(file: &Arc<File>, inbuf: u64) -> Result {
    let cmd: bindings::rdma_ucm_resolve_addr = shim::read(inbuf)?;
    if cmd.reserved != 0
        || (cmd.src_size != 0 && u32::from(cmd.src_size) != shim::addr_size_kss(&cmd.src_addr))
        || cmd.dst_size == 0
        || u32::from(cmd.dst_size) != shim::addr_size_kss(&cmd.dst_addr)
    {
        return Err(EINVAL);
    }
    let user = Context::get(file, cmd.id)?;
    let _g = user.mutex.lock();
    user.cm_id()
        .resolve_addr(&cmd.src_addr, &cmd.dst_addr, cmd.timeout_ms)
}

/// RESOLVE_IB_SERVICE.
fn resolve_ib_service(file: &Arc<File>, inbuf: u64) -> Result {
    let mut cmd: bindings::rdma_ucm_resolve_ib_service = shim::read(inbuf)?;
    let user = Context::get(file, cmd.id)?;
    let _g = user.mutex.lock();
    user.cm_id().resolve_ib_service(&mut cmd.ibs)
}

/// RESOLVE_ROUTE.
fn resolve_route(file: &Arc<File>, inbuf: u64) -> Result {
    let cmd: bindings::rdma_ucm_resolve_route = shim::read(inbuf)?;
    let user = Context::get_dev(file, cmd.id)?;
    let _g = user.mutex.lock();
    user.cm_id().resolve_route(cmd.timeout_ms)
}

/// QUERY_ROUTE.
fn query_route(file: &Arc<File>, inbuf: u64, out_len: usize) -> Result {
    if out_len < core::mem::offset_of!(bindings::rdma_ucm_query_route_resp, ibdev_index) {
        return Err(ENOSPC);
    }
    let cmd: bindings::rdma_ucm_query = shim::read(inbuf)?;
    let user = Context::get(file, cmd.id)?;
    let resp = {
        let _g = user.mutex.lock();
        user.cm_id().route()
    };
    shim::write(cmd.response, &resp, out_len)
}

/// QUERY, of the address, the paths, the GIDs or the IB service records.
fn query(file: &Arc<File>, inbuf: u64, out_len: usize) -> Result {
    let cmd: bindings::rdma_ucm_query = shim::read(inbuf)?;
    let user = Context::get(file, cmd.id)?;
    let _g = user.mutex.lock();
    let cm_id = user.cm_id();
    let addr_min = core::mem::offset_of!(bindings::rdma_ucm_query_addr_resp, ibdev_index);
    match cmd.option {
        bindings::RDMA_USER_CM_QUERY_ADDR => {
            if out_len < addr_min {
                return Err(ENOSPC);
            }
            shim::write(cmd.response, &cm_id.addr(), out_len)
        }
        bindings::RDMA_USER_CM_QUERY_PATH => {
            let head = size_of::<bindings::rdma_ucm_query_path_resp>();
            if out_len < head {
                return Err(ENOSPC);
            }
            let mut buf = KVec::from_elem(0u8, out_len, GFP_KERNEL)?;
            let n = cm_id.paths(&mut buf);
            let len = head + n * size_of::<bindings::ib_path_rec_data>();
            shim::write_bytes(cmd.response, buf.get(..len).ok_or(EINVAL)?)
        }
        bindings::RDMA_USER_CM_QUERY_GID => {
            if out_len < addr_min {
                return Err(ENOSPC);
            }
            shim::write(cmd.response, &cm_id.gid(), out_len)
        }
        bindings::RDMA_USER_CM_QUERY_IB_SERVICE => query_ib_service(cm_id, cmd.response, out_len),
        _ => Err(ENOSYS),
    }
}

/// QUERY of the IB service records: as many as fit after the header.
fn query_ib_service(cm_id: shim::CmId<'_>, response: u64, out_len: usize) -> Result {
    let head = size_of::<bindings::rdma_ucm_query_ib_service_resp>();
    if out_len < head {
        return Err(ENOSPC);
    }
    let recs = cm_id.service_recs().ok_or(ENODATA)?;
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
    buf.extend_from_slice(&(recs.len() as u32).to_ne_bytes(), GFP_KERNEL)?;
    buf.resize(head, 0, GFP_KERNEL)?;
    for r in &recs[..n] {
        buf.extend_from_slice(r.as_bytes(), GFP_KERNEL)?;
    }
    shim::write_bytes(response, &buf)
}

/// The ECE of CONNECT and ACCEPT: only if the user's input reaches it.
fn ece(in_size: usize, end: usize, ece: &bindings::rdma_ucm_ece) -> bindings::rdma_ucm_ece {
    if end <= in_size {
        *ece
    } else {
        bindings::rdma_ucm_ece::zeroed()
    }
}

/// CONNECT: takes input down to `reserved` (older users have no ECE).
fn connect(file: &Arc<File>, inbuf: u64, in_len: usize) -> Result {
    let min = core::mem::offset_of!(bindings::rdma_ucm_connect, reserved) + size_of::<u32>();
    if in_len < min {
        return Err(EINVAL);
    }
    let in_size = in_len.min(size_of::<bindings::rdma_ucm_connect>());
    let mut cmd: bindings::rdma_ucm_connect = shim::read_part(inbuf, in_size)?;
    if cmd.conn_param.valid == 0 {
        return Err(EINVAL);
    }
    let user = Context::get_dev(file, cmd.id)?;
    let end = core::mem::offset_of!(bindings::rdma_ucm_connect, ece)
        + size_of::<bindings::rdma_ucm_ece>();
    let mut ece = ece(in_size, end, &cmd.ece);
    let _g = user.mutex.lock();
    user.cm_id().connect(&mut cmd.conn_param, &mut ece)
}

/// LISTEN.
fn listen(file: &Arc<File>, inbuf: u64) -> Result {
    let mut cmd: bindings::rdma_ucm_listen = shim::read(inbuf)?;
    let user = Context::get(file, cmd.id)?;
    let max = shim::max_backlog();
    if cmd.backlog == 0 || cmd.backlog > max {
        cmd.backlog = max;
    }
    user.backlog.store(cmd.backlog as i32, Ordering::Relaxed);
    let _g = user.mutex.lock();
    user.cm_id().listen(cmd.backlog as i32)
}

/// ACCEPT: takes input down to `reserved`; with connection parameters the user's uid is set
/// with the handler mutex held, so that the id's events are reported from then on.
fn accept(file: &Arc<File>, inbuf: u64, in_len: usize) -> Result {
    let min = core::mem::offset_of!(bindings::rdma_ucm_accept, reserved) + size_of::<u32>();
    if in_len < min {
        return Err(EINVAL);
    }
    let in_size = in_len.min(size_of::<bindings::rdma_ucm_accept>());
    let mut cmd: bindings::rdma_ucm_accept = shim::read_part(inbuf, in_size)?;
    let user = Context::get_dev(file, cmd.id)?;
    let end =
        core::mem::offset_of!(bindings::rdma_ucm_accept, ece) + size_of::<bindings::rdma_ucm_ece>();
    let mut ece = ece(in_size, end, &cmd.ece);
    let cm_id = user.cm_id();
    let _g = user.mutex.lock();
    let _h = cm_id.lock_handler();
    if cmd.conn_param.valid != 0 {
        cm_id.accept(Some(&mut cmd.conn_param), &mut ece)?;
        user.set_uid(cmd.uid);
        Ok(())
    } else {
        cm_id.accept(None, &mut ece)
    }
}

/// REJECT.
fn reject(file: &Arc<File>, inbuf: u64) -> Result {
    let cmd: bindings::rdma_ucm_reject = shim::read(inbuf)?;
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
    let _g = user.mutex.lock();
    user.cm_id().reject(data, reason as u8)
}

/// DISCONNECT.
fn disconnect(file: &Arc<File>, inbuf: u64) -> Result {
    let cmd: bindings::rdma_ucm_disconnect = shim::read(inbuf)?;
    let user = Context::get_dev(file, cmd.id)?;
    let _g = user.mutex.lock();
    user.cm_id().disconnect()
}

/// INIT_QP_ATTR.
fn init_qp_attr(file: &Arc<File>, inbuf: u64, out_len: usize) -> Result {
    if out_len < size_of::<bindings::ib_uverbs_qp_attr>() {
        return Err(ENOSPC);
    }
    let cmd: bindings::rdma_ucm_init_qp_attr = shim::read(inbuf)?;
    if cmd.qp_state > bindings::ib_qp_state_IB_QPS_ERR {
        return Err(EINVAL);
    }
    let user = Context::get_dev(file, cmd.id)?;
    let resp = {
        let _g = user.mutex.lock();
        user.cm_id().init_qp_attr(cmd.qp_state)?
    };
    shim::write_all(cmd.response, &resp)
}

/// SET_OPTION.
fn set_option(file: &Arc<File>, inbuf: u64) -> Result {
    let cmd: bindings::rdma_ucm_set_option = shim::read(inbuf)?;
    if cmd.optlen as usize > bindings::KMALLOC_MAX_SIZE as usize {
        return Err(EINVAL);
    }
    let user = Context::get(file, cmd.id)?;
    let mut val = KVec::new();
    shim::user(cmd.optval, cmd.optlen as usize).read_all(&mut val, GFP_KERNEL)?;
    match cmd.level {
        bindings::RDMA_OPTION_ID => {
            let _g = user.mutex.lock();
            set_option_id(user.cm_id(), cmd.optname, &val)
        }
        bindings::RDMA_OPTION_IB => match cmd.optname {
            bindings::RDMA_OPTION_IB_PATH => set_ib_path(&user, &mut val),
            _ => Err(ENOSYS),
        },
        _ => Err(ENOSYS),
    }
}

/// SET_OPTION at level `RDMA_OPTION_ID`.
fn set_option_id(cm_id: shim::CmId<'_>, name: u32, val: &[u8]) -> Result {
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
            cm_id.set_tos(byte(val)?);
            Ok(())
        }
        bindings::RDMA_OPTION_ID_REUSEADDR => cm_id.set_reuseaddr(int(val)?),
        bindings::RDMA_OPTION_ID_AFONLY => cm_id.set_afonly(int(val)?),
        bindings::RDMA_OPTION_ID_ACK_TIMEOUT => cm_id.set_ack_timeout(byte(val)?),
        _ => Err(ENOSYS),
    }
}

/// `RDMA_OPTION_IB_PATH`: sets the id's route and reports it resolved.
fn set_ib_path(user: &super::context::User, val: &mut [u8]) -> Result {
    let cm_id = user.cm_id();
    let mut rec = cm_id.unpack_ib_path(val)?;
    {
        let _g = user.mutex.lock();
        cm_id.set_ib_path(&mut rec)?;
    }
    let _h = cm_id.lock_handler();
    let mut event = shim::new_event(bindings::rdma_cm_event_type_RDMA_CM_EVENT_ROUTE_RESOLVED);
    if user.uid() != 0 {
        let ev = Event::new(user.ctx(), cm_id, &mut event, None)?;
        user.file().push_event(ev);
    }
    Ok(())
}

/// NOTIFY.
fn notify(file: &Arc<File>, inbuf: u64) -> Result {
    let cmd: bindings::rdma_ucm_notify = shim::read(inbuf)?;
    let user = Context::get(file, cmd.id)?;
    let _g = user.mutex.lock();
    let cm_id = user.cm_id();
    if !cm_id.has_device() {
        return Err(EINVAL);
    }
    cm_id.notify(cmd.event)
}

/// MIGRATE_ID: moves a context, with its unread events, from the file `fd` to this one.
fn migrate_id(new_file: &Arc<File>, inbuf: u64) -> Result {
    let cmd: bindings::rdma_ucm_migrate_id = shim::read(inbuf)?;
    // Holding the source file keeps it from being closed meanwhile.
    let f = FdRef::get(cmd.fd)?;
    let cur_file = f.file();
    let user = Context::get(&cur_file, cmd.id)?;
    let cm_id = user.cm_id();
    let _h = cm_id.lock_handler();
    {
        let table = CTX_TABLE.lock();
        // Not being destroyed since the lookup.
        if !table
            .get(cmd.id)
            .is_some_and(|c| Arc::ptr_eq(c, user.ctx()))
            || !user.is_of(&cur_file)
        {
            return Err(ENOENT);
        }
        user.set_file(new_file);
    }
    let mut moved = KVec::new();
    let resp = {
        let mut inner = cur_file.inner.lock();
        if let Some(i) = inner.ctxs.iter().position(|c| Arc::ptr_eq(c, user.ctx())) {
            let _ = inner.ctxs.remove(i);
        }
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
        bindings::rdma_ucm_migrate_resp {
            events_reported: user.events_reported.load(Ordering::Relaxed) as u32,
        }
    };
    {
        let mut inner = new_file.inner.lock();
        if inner.ctxs.push(user.ctx().clone(), GFP_KERNEL).is_err() {
            kernel::warn_on!(true);
        }
        for ev in moved.drain_all() {
            let _ = inner.events.push(ev, GFP_KERNEL);
        }
    }
    new_file.wake();
    shim::write_all(cmd.response, &resp)
}

/// WRITE_CM_EVENT: an event of the user's, queued for the context.
fn write_cm_event(file: &Arc<File>, inbuf: u64) -> Result {
    let cmd: bindings::rdma_ucm_write_cm_event = shim::read(inbuf)?;
    if cmd.event != bindings::rdma_cm_event_type_RDMA_CM_EVENT_USER
        && cmd.event != bindings::rdma_cm_event_type_RDMA_CM_EVENT_INTERNAL
    {
        return Err(EINVAL);
    }
    let user = Context::get(file, cmd.id)?;
    let arg = shim::write_event_arg(&cmd);
    let _h = user.cm_id().lock_handler();
    if user.uid() == 0 {
        return Err(EINVAL);
    }
    let ev = Event::user(user.ctx(), cmd.event, cmd.status, arg);
    user.file().push_event(ev);
    Ok(())
}
