//! Who is at the other end of a Unix socket, by the kernel's word.

use std::io::{self, ErrorKind};
use std::os::fd::{AsFd, AsRawFd};

/// `Ok` when the peer of `socket` runs as this process's effective user
/// (`SO_PEERCRED`, set by the kernel at connect time, not by the peer);
/// `PermissionDenied` otherwise. Every local socket of the product checks
/// its peers with this: the host's `host.sock` and its clients, the
/// shell's single-instance and control sockets.
pub fn check_peer_uid(socket: &impl AsFd) -> io::Result<()> {
    // SAFETY: geteuid(2) has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    let peer = peer_uid(socket)?;
    if peer != uid {
        return Err(io::Error::new(
            ErrorKind::PermissionDenied,
            format!("peer uid {peer} is not {uid}"),
        ));
    }
    Ok(())
}

fn peer_uid(socket: &impl AsFd) -> io::Result<libc::uid_t> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` and `len` are valid for writes of the sizes passed.
    let rc = unsafe {
        libc::getsockopt(
            socket.as_fd().as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(cred.uid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_socket_pair_of_this_process_is_its_own_user() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().expect("pair");
        check_peer_uid(&a).expect("same user");
        let file = std::fs::File::open("/dev/null").expect("open");
        assert!(check_peer_uid(&file).is_err(), "not a socket");
    }
}
