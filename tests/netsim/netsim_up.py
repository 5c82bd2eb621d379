"""For the Python tests that run `pathpair-netsim up` in the background: read its announcement
(the KEY=VALUE lines it prints, NETSIM_CLIENT_NS, NETSIM_SERVER_IP, ..., up to NETSIM_READY=1)
and stop it.

    proc = subprocess.Popen([NETSIM, "up", scenario], stdout=subprocess.PIPE, text=True)
    env = netsim_up.read_announcement(proc)
    if "NETSIM_READY" not in env: ...   # the emulator ended first (its stderr says why)
    ...
    netsim_up.stop(proc)                 # SIGTERM: it tears everything down
"""
import signal
import subprocess


def read_announcement(proc):
    """The KEY=VALUE lines of proc's standard output, up to NETSIM_READY or its end."""
    env = {}
    for line in proc.stdout:
        key, _, value = line.strip().partition("=")
        env[key] = value
        if key == "NETSIM_READY":
            break
    return env


def stop(proc, timeout=30):
    """Ends an emulator with SIGTERM (it removes its namespaces), SIGKILL after `timeout`
    seconds; True when SIGTERM was enough (after SIGKILL the reaper removes what is left)."""
    if proc.poll() is not None:
        return True
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return False
