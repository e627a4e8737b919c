"""The timed part of the PyTorch step benchmarks (bench/torch_step.py, bench/torch_model_step.py),
as bench/timing.ts is for ligo's: WARMUP untimed calls of step (which returns the loss), then
STEPS timed one by one, with the process's resource usage before and after."""
import resource
import statistics
import time


def time_steps(step, warmup, steps):
    """(median wall seconds of a step, the last loss, rusage before, rusage after)."""
    for _ in range(warmup):
        step()
    before = resource.getrusage(resource.RUSAGE_SELF)
    times, loss = [], 0.0
    for _ in range(steps):
        t0 = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), loss, before, resource.getrusage(resource.RUSAGE_SELF)
