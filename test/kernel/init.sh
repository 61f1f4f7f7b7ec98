#!/bin/sh
# PID 1 of the test VM (static busybox in a small initramfs built by vm.js).
# Loads the modules listed in /modules.list, mounts the host's root read-only over 9p under a tmpfs
# overlay (so the guest may scribble anywhere and nothing reaches the host), puts tmpfs on /tmp and
# /run, binds the writable job folder at the same path it has on the host, runs the job's cmd.sh in a
# chroot with stdout/stderr into the job folder, records the exit status and powers off.
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec < /dev/console > /dev/console 2>&1

say() { echo "lvsd-vm: $*"; }
die() { say "$*"; poweroff -f; }

while read -r m; do
  insmod "/modules/$m" 2>/dev/null || say "insmod $m failed"
done < /modules.list

mkdir -p /job /lower /rw /newroot
P9='trans=virtio,version=9p2000.L,msize=512000'
mount -t 9p -o "$P9,cache=none" job /job || die "cannot mount the job share"
read -r HOSTJOB < /job/hostpath || die "job share has no hostpath"
# cache=loose: the host root is read-only for the guest and does not change during a run.
mount -t 9p -o "$P9,ro,cache=loose" hostroot /lower || die "cannot mount the host root"
mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
if ! mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot 2>/dev/null; then
  say "overlay unavailable; root stays read-only"
  mount --bind /lower /newroot
fi
mount -t proc proc /newroot/proc
mount -t sysfs sysfs /newroot/sys
mount --move /dev /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
mount -t tmpfs -o mode=1777 tmpfs /newroot/dev/shm
# A project checked out under /tmp would vanish under the guest's own /tmp: keep it visible.
read -r HOSTCWD < /job/hostcwd 2>/dev/null || HOSTCWD=
case "$HOSTCWD" in /tmp/?*) mkdir -p /rw/cwd && mount --bind "/newroot$HOSTCWD" /rw/cwd || HOSTCWD= ;; *) HOSTCWD= ;; esac
mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp
[ -z "$HOSTCWD" ] || { mkdir -p "/newroot$HOSTCWD" && mount --move /rw/cwd "/newroot$HOSTCWD"; } || die "cannot keep $HOSTCWD visible"
mount -t tmpfs -o mode=0755 tmpfs /newroot/run
mkdir -p "/newroot$HOSTJOB" && mount --bind /job "/newroot$HOSTJOB" || die "cannot bind the job share"

hostname lvsd-vm
ip link set lo up
cut -d' ' -f1 /proc/uptime > /job/started
chroot /newroot /bin/sh "$HOSTJOB/cmd.sh" < /newroot/dev/null > /job/stdout 2> /job/stderr
echo $? > /job/exitcode
sync
poweroff -f
