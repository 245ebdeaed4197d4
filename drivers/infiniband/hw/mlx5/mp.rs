// SPDX-License-Identifier: GPL-2.0

//! Multiport RoCE affiliation: the Rust implementation of the `mlx5_core.multiport` part of
//! `hw/mlx5/main.c`.
//!
//! The second port of a dual-port card is its own core device (a slave). mlx5_ib affiliates it
//! with the RDMA device of the card's first port (the master) when both report the same system
//! image GUID and coredev type; until the master comes, the slave waits unaffiliated.
//!
//! - [`engine::Engine`]: probe and removal of slaves, init and cleanup of masters, bind and
//!   unbind, in C's order of effects, failure paths included;
//! - [`registry::Registry`]: the masters and the unaffiliated slaves, under the engine's mutex;
//! - [`master::Master`]: a master and its ports' slots, and the users of a slave's core device
//!   that an unbind drains;
//! - [`slave::Slave`]: a slave port and whom it is bound to;
//! - [`event::EventWork`]: a slave's event on its way to the master, holding the slave;
//! - [`host::Host`]: what stays mlx5's (firmware commands, netdev tracking, loopback, cong
//!   debugfs, event replay and handling), so that KUnit drives the engine through the
//!   recording fake of `fake`;
//! - [`ffi`]: the live host over main.c's glue, and the `rdma_rs_mlx5_mp_*` functions main.c
//!   calls when `mlx5_ib.mp_impl=rust`; the piece's only `unsafe` code.
//!
//! By construction a slave is in exactly one place (the unaffiliated list, or one port of one
//! master, which its binding names); an event work holds its slave, and the removal of a slave
//! and the cleanup of a master wait for the event works queued before them.

mod engine;
mod event;
#[cfg(CONFIG_KUNIT = "y")]
mod fake;
mod ffi;
mod host;
mod master;
mod registry;
mod slave;
#[cfg(CONFIG_KUNIT = "y")]
mod tests;
