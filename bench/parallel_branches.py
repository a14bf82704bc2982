"""Wall time of n branches run concurrently vs one after another, through Serve deployment handles.

The branch is a deployment method that waits (`asyncio.sleep`), standing for I/O-bound work such as
a call to an external LLM endpoint or a busy replica; it isolates what `deployments.parallel` adds
(handles awaited together, spread over replicas) from model compute, which on a 2-core CPU cannot
run faster in parallel. Starts its own local Ray (no HTTP proxy) and shuts it down.

    .venv/bin/python bench/parallel_branches.py [--n 4 8 16] [--sleep 0.25] [--replicas 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from deployments.parallel import Limits, handle_branch, map_states, values  # noqa: E402


class Sleeper:
    async def sleep(self, request: dict) -> int:
        await asyncio.sleep(request["seconds"])
        return request["value"]


async def _sequential(branch, states) -> float:
    started = time.perf_counter()
    for state in states:
        await branch(state)
    return time.perf_counter() - started


async def _concurrent(branch, states, limit: int | None) -> float:
    started = time.perf_counter()
    result = await map_states(branch, states, values, Limits(max_concurrency=limit))
    assert result == [s["value"] for s in states]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[4, 8, 16])
    parser.add_argument("--sleep", type=float, default=0.25, help="seconds each branch waits")
    parser.add_argument("--replicas", type=int, default=4)
    args = parser.parse_args()

    import ray
    from ray import serve

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        serve.start(proxy_location="Disabled")
        deployment = serve.deployment(Sleeper, name="Sleeper", num_replicas=args.replicas,
                                      ray_actor_options={"num_cpus": 0}, max_ongoing_requests=64)
        branch = handle_branch(serve.run(deployment.bind(), name="bench-parallel", route_prefix=None), "sleep")
        asyncio.run(_concurrent(branch, [{"value": 0, "seconds": 0.0}] * 8, None))  # warm the router
        print(f"branch = handle.sleep.remote({args.sleep}s), {args.replicas} replicas")
        print(f"{'n':>4} {'sequential_s':>13} {'concurrent_s':>13} {'ratio':>7} {'bound=n/2_s':>12}")
        for n in args.n:
            states = [{"value": i, "seconds": args.sleep} for i in range(n)]
            seq = asyncio.run(_sequential(branch, states))
            par = asyncio.run(_concurrent(branch, states, None))
            half = asyncio.run(_concurrent(branch, states, max(1, n // 2)))
            print(f"{n:>4} {seq:>13.3f} {par:>13.3f} {seq / par:>6.1f}x {half:>12.3f}")
    finally:
        serve.shutdown()
        ray.shutdown()


if __name__ == "__main__":
    main()
