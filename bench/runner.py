# runner.py VARIANT N - one timed run of the benchmark's protocol with
# Python 3's socket.send_fds/recv_fds.  Prints seconds from the first send
# to the done byte.  Driven by bench/bench.pl.
import os, socket, sys, time

variant, n = sys.argv[1], int(sys.argv[2])
per = 64 if variant == 'many' else 1
ping = variant == 'pingpong'
p, c = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
null = os.open('/dev/null', os.O_RDWR)
pid = os.fork()
if pid == 0:
    p.close()
    c.send(b'r')
    for _ in range(n // per):
        msg, fds, flags, addr = socket.recv_fds(c, 1, per)
        for fd in fds:
            os.close(fd)
        if ping:
            c.send(b'p')
    c.send(b'd')
    os._exit(0)
c.close()
p.recv(1)
t0 = time.monotonic()
fds = [null] * per
for _ in range(n // per):
    socket.send_fds(p, [b'\0'], fds)
    if ping:
        p.recv(1)
p.recv(1)
t = time.monotonic() - t0
os.waitpid(pid, 0)
print('%.6f' % t)
