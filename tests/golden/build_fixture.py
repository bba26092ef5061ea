#!/usr/bin/env python3
"""Builds the golden-report fixture: a 192 KiB flash image, byte for byte the same on every machine.

  0x00000  bootloader area: a U-Boot banner, then erased flash (0xff)
  0x10000  a ustar archive of a small root filesystem, written here field by field
           (every entry owned by 0:0, mtime 0, sorted by path)
  after it 4 KiB of high-entropy bytes (a SHA-256 chain) that no unpacker claims, then 0xff

The root filesystem holds planted problems (a default root password, telnetd and a root shell on the
console, a CGI script that runs request data, a world-writable directory, a daemon running as root)
and hostile names: an account, a CGI script and a directory whose names are markup, so the tests
can check that every report escapes them.

  build_fixture.py OUTPUT
"""
import hashlib
import sys

# The same hostile strings the golden test looks for.
HOSTILE_ACCOUNT = '<script>alert("account")</script>'
HOSTILE_CGI = 'www/cgi-bin/<img src=x onerror=alert(1)>.cgi'
HOSTILE_DIR = 'www/"><svg onload=alert(2)>'

FILES = {
    'etc/passwd': (0o644, 'root:x:0:0:root:/root:/bin/sh\n'
                          'daemon:x:1:1:daemon:/usr/sbin:/bin/false\n'
                          f'{HOSTILE_ACCOUNT}:x:1000:1000::/home/x:/bin/sh\n'),
    # root: md5crypt of "admin" (tests/cases/fixtures/rootfs-shadow-md5); the hostile account has no password.
    'etc/shadow': (0o600, 'root:$1$Qd8H3pXa$TRaikz5ntUXbCOQ/QYiNm0:19000:0:99999:7:::\n'
                          'daemon:*:19000:0:99999:7:::\n'
                          f'{HOSTILE_ACCOUNT}::19000:0:99999:7:::\n'),
    'etc/group': (0o644, 'root:x:0:\n'),
    'etc/hostname': (0o644, 'goldencam\n'),
    'etc/inittab': (0o644, '::sysinit:/etc/init.d/rcS\n'
                           '::respawn:/usr/sbin/telnetd -F -l /bin/login\n'
                           'ttyS0::respawn:/bin/sh\n'),
    'etc/init.d/rcS': (0o755, '#!/bin/sh\nmount -a\n/usr/sbin/httpd -p 80 -h /www\n'),
    'usr/lib/opkg/status': (0o644, 'Package: busybox\nVersion: 1.30.1-2\nStatus: install user installed\n'
                                   'Architecture: mips_24kc\n\n'),
    'usr/sbin/httpd': (0o755, '#!/bin/sh\n# placeholder for the web server\n'),
    'usr/sbin/telnetd': (0o755, '#!/bin/sh\n# placeholder for telnetd\n'),
    'bin/sh': (0o755, '#!/bin/sh\n# placeholder for the shell\n'),
    'www/index.html': (0o644, '<html><body>goldencam</body></html>\n'),
    HOSTILE_CGI: (0o755, '#!/bin/sh\necho "Content-Type: text/plain"\necho\n'
                         'eval "$(echo "$QUERY_STRING" | sed -n \'s/^.*cmd=\\([^&]*\\).*$/\\1/p\')"\n'),
}
DIRS = {HOSTILE_DIR: 0o777}


def header(name, mode, size, kind):
    assert len(name.encode()) <= 100, name
    h = bytearray(512)
    def put(off, width, value):
        h[off:off + len(value)] = value
    put(0, 100, name.encode())
    put(100, 8, b'%07o\0' % mode)
    put(108, 8, b'0000000\0')
    put(116, 8, b'0000000\0')
    put(124, 12, b'%011o\0' % size)
    put(136, 12, b'00000000000\0')
    put(148, 8, b' ' * 8)
    put(156, 1, kind)
    put(257, 6, b'ustar\0')
    put(263, 2, b'00')
    put(148, 8, b'%06o\0 ' % sum(h))
    return bytes(h)


def tar():
    entries = {}
    for path, (mode, text) in FILES.items():
        entries[path] = (mode, text.encode())
        parts = path.split('/')[:-1]
        for i in range(1, len(parts) + 1):
            entries.setdefault('/'.join(parts[:i]) + '/', (0o755, None))
    for path, mode in DIRS.items():
        entries[path + '/'] = (mode, None)
    out = bytearray()
    for path in sorted(entries):
        mode, data = entries[path]
        if data is None:
            out += header(path, mode, 0, b'5')
        else:
            out += header(path, mode, len(data), b'0')
            out += data + b'\0' * (-len(data) % 512)
    out += b'\0' * 1024
    return bytes(out)


def main():
    image = bytearray(b'\xff' * 0x30000)
    banner = b'\x00\x00U-Boot 2016.05-golden (Nov 14 2023 - 10:00:00 +0000)\x00'
    image[0x100:0x100 + len(banner)] = banner
    t = tar()
    image[0x10000:0x10000 + len(t)] = t
    noise, block = bytearray(), b'iotaudit golden fixture'
    while len(noise) < 4096:
        block = hashlib.sha256(block).digest()
        noise += block
    at = 0x10000 + len(t) + 0x1000
    image[at:at + 4096] = noise[:4096]
    with open(sys.argv[1], 'wb') as f:
        f.write(image)


if __name__ == '__main__':
    main()
