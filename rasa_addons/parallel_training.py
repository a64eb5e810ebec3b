"""Rasa's training graph with the dialogue policies trained in a second process, beside
the NLU pipeline, so that a training uses both cores of the machine.

Used by ``python -m tools.train`` (``make train`` and the bench); ``rasa train`` itself is
unchanged and trains everything one node after the other.

Why: Rasa runs its training graph one node at a time (``dask.get``, the synchronous
scheduler), and TensorFlow gets little from a second core on models this small (DIET's
epoch: 5.4 s with two threads, 6.0 s with one). So during a fresh training one core
mostly waits while DIET trains, then DIET's core waits while TED trains (40-60 s of a
training here). The two branches share nothing but the data they read: the NLU pipeline
needs the NLU examples, the policies need the stories and the domain.

Why a process and not a thread: both models draw from process-wide random generators
(``random``, NumPy's and TensorFlow's global seeds, set again when each model is built), so
two trainings in one process would interleave their draws and no training would be
reproducible. In its own process each model draws exactly as it does when Rasa trains them
in turn: the trained weights are the same to the bit (``tests/rasa_addons``).

What runs where:

1. This process runs the nodes both branches need (Rasa's checks of the config and data,
   the domain), with Rasa's hooks, as Rasa would.
2. A second process (``spawn``: TensorFlow's threads do not survive a ``fork``) runs the
   policies' own branch: it reads the stories, builds the augmented training trackers and
   trains the policies into the same model storage directory (each node writes only its
   own resource), with Rasa's two training hooks built again there: the log lines
   ("Starting/Finished training component") and the training cache, so the next
   ``make train`` skips the policies when only NLU data changed. Both processes write the
   same cache (a directory and a SQLite file; SQLite serialises their short writes).
3. Meanwhile this process runs the rest of the graph (the NLU pipeline) as Rasa would, and
   then waits for the policies.

The NLU pipeline, DIET above all, is the longer branch: the training ends when it does. So
the second process runs at a lower CPU priority (``nice``, :data:`HELPER_NICENESS`), and
takes what the NLU branch leaves (DIET keeps about 1.75 of the two cores busy).

When there is nothing to overlap (only policies, or only the NLU pipeline, need training;
a fingerprint run; fine-tuning), the graph runs as Rasa runs it.

It reads three private attributes of Rasa 3.6 (the hooks' ``_pruned_schema`` and
``_cache``, the model storage's ``_storage_path``); ``tests/rasa_addons`` fail if they move.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import threading
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import dask
from rasa.core.policies.policy import Policy
from rasa.engine.caching import LocalTrainingCache
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import ExecutionContext, GraphNode, GraphNodeHook, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.storage import ModelStorage
from rasa.engine.training.hooks import LoggingHook, TrainingHook
from rasa.shared.constants import DEFAULT_LOG_LEVEL, ENV_LOG_LEVEL

logger = logging.getLogger(__name__)

# The NLU pipeline, then DIET, is what a training waits for; the processes beside it (the
# policies, the data check) take what CPU that leaves (``nice``).
HELPER_NICENESS = 10

# The function of a graph node that trains its component (Rasa's recipes name it so).
TRAIN_FN = "train"


def _is_offloaded(node: SchemaNode) -> bool:
    return node.fn == TRAIN_FN and isinstance(node.uses, type) and issubclass(node.uses, Policy)


@dataclass(frozen=True)
class _HookSpec:
    """One of Rasa's training hooks, as the second process builds it again."""

    kind: str  # "logging" or "training"
    pruned_schema: GraphSchema


def _hook_specs(hooks: list[GraphNodeHook]) -> list[_HookSpec] | None:
    """Rasa's training hooks as specs, or None if one cannot be rebuilt in another process."""
    specs = []
    for hook in hooks:
        if type(hook) is LoggingHook:
            specs.append(_HookSpec("logging", hook._pruned_schema))
        elif type(hook) is TrainingHook and type(hook._cache) is LocalTrainingCache:
            specs.append(_HookSpec("training", hook._pruned_schema))
        else:
            return None
    return specs


def _build_hooks(specs: list[_HookSpec], storage: ModelStorage) -> list[GraphNodeHook]:
    hooks: list[GraphNodeHook] = []
    for spec in specs:
        if spec.kind == "logging":
            hooks.append(LoggingHook(pruned_schema=spec.pruned_schema))
        else:
            # The same cache directory and SQLite file (``RASA_CACHE_DIRECTORY``); SQLite
            # serialises the two processes' short writes.
            hooks.append(
                TrainingHook(
                    cache=LocalTrainingCache(), model_storage=storage, pruned_schema=spec.pruned_schema
                )
            )
    return hooks


@dataclass(frozen=True)
class _Plan:
    offloaded: list[str]  # the policies' training nodes
    rest: list[str]  # the other targets, for this process
    shared: list[str]  # nodes both branches need, run here first
    apart: list[str]  # nodes for the second process: the policies and what only they need
    given: list[str]  # outputs (of shared nodes, or graph inputs) the second process is given
    hooks: list[_HookSpec]


@dataclass(frozen=True)
class _Job:
    """What the second process runs: Rasa's nodes, the outputs they are given, the hooks."""

    nodes: dict[str, SchemaNode]
    given: dict[str, Any]
    targets: list[str]
    storage_path: Path
    execution_context: ExecutionContext
    hooks: list[_HookSpec]


class ParallelTrainingRunner(DaskGraphRunner):
    """Rasa's ``DaskGraphRunner``, training the policies in a second process (module doc)."""

    def __init__(
        self,
        graph_schema: GraphSchema,
        model_storage: ModelStorage,
        execution_context: ExecutionContext,
        hooks: list[GraphNodeHook] | None = None,
    ) -> None:
        super().__init__(graph_schema, model_storage, execution_context, hooks)
        self._model_storage = model_storage
        self._hooks = list(hooks or [])

    def run(
        self,
        inputs: dict[str, Any] | None = None,
        targets: list[str] | None = None,
    ) -> dict[str, Any]:
        """Run the graph (Rasa's ``GraphRunner.run``): the same outputs, sooner."""
        run_targets = targets if targets else self._graph_schema.target_names
        schema = self._graph_schema.minimal_graph_schema(run_targets)
        plan = self._plan(schema, run_targets)
        if plan is None:
            return super().run(inputs, targets)

        # 1. What both branches need (the data validators), here.
        prepared = super().run(inputs, plan.shared) if plan.shared else {}

        # 2. The policies and what only they need (stories, training trackers), in a second
        # process, with the same hooks.
        assert isinstance(self._model_storage, LocalModelStorage)
        given = {**(inputs or {}), **prepared}
        child = _PolicyProcess(
            _Job(
                nodes={name: schema.nodes[name] for name in plan.apart},
                given={name: given[name] for name in plan.given},
                targets=plan.offloaded,
                storage_path=Path(self._model_storage._storage_path),
                execution_context=self._execution_context,
                hooks=plan.hooks,
            )
        )
        child.start()
        try:
            # 3. Everything else, here, as Rasa would run it.
            results = self._run_rest(schema, plan.rest, inputs, prepared)
            results.update(child.result())
        finally:
            child.stop()
        return {name: results[name] for name in run_targets}

    def _plan(self, schema: GraphSchema, run_targets: list[str]) -> _Plan | None:
        """What to train apart, or None to run the graph as Rasa does."""
        offloaded = [name for name in run_targets if _is_offloaded(schema.nodes[name])]
        rest = [name for name in run_targets if name not in offloaded]
        hooks = _hook_specs(self._hooks)
        if (
            not offloaded
            or not rest
            or hooks is None
            or not isinstance(self._model_storage, LocalModelStorage)
        ):
            return None
        # Fine-tuning (experimental in Rasa) loads the old model's components: left to Rasa.
        if self._execution_context.is_finetuning:
            return None
        rest_nodes = schema.minimal_graph_schema(rest).nodes
        # Nothing else trains: a second process would only add its start-up.
        if not any(node.fn == TRAIN_FN for node in rest_nodes.values()):
            return None
        policy_nodes = schema.minimal_graph_schema(offloaded).nodes
        shared = [name for name in policy_nodes if name in rest_nodes]
        apart = [name for name in policy_nodes if name not in rest_nodes]
        # Only the policies' outputs (their resources) come back from the second process; no
        # node here reads a node run there (it would be in ``rest_nodes``, so not apart).
        if any(name in run_targets for name in apart if name not in offloaded):
            return None
        given = sorted({need for name in apart for need in policy_nodes[name].needs.values()} - set(apart))
        return _Plan(offloaded=offloaded, rest=rest, shared=shared, apart=apart, given=given, hooks=hooks)

    def _run_rest(
        self,
        schema: GraphSchema,
        rest_targets: list[str],
        inputs: dict[str, Any] | None,
        prepared: dict[str, Any],
    ) -> dict[str, Any]:
        graph = self._build_dask_graph(schema.minimal_graph_schema(rest_targets))
        # Nodes already run are given their outputs, the way Rasa gives the graph its inputs.
        for name, output in prepared.items():
            if name in graph:
                graph[name] = (name, output)
        self._add_inputs_to_graph(inputs, graph)
        try:
            return dict(dask.get(graph, rest_targets))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e


class _PolicyProcess:
    """The second process: runs a job, sends back its targets' outputs."""

    def __init__(self, job: _Job) -> None:
        context = multiprocessing.get_context("spawn")
        self._receiver, self._sender = context.Pipe(duplex=False)
        self._job_receiver, self._job_sender = context.Pipe(duplex=False)
        # The job (about 2 MB here: the domain, the data importer) goes through a pipe of its
        # own, written by a thread of its own. A pipe holds 64 KB: passed as the process's
        # argument, the job kept the training waiting (4 s on two cores) while the new
        # process imported Rasa before reading it.
        self._job = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        self._process = context.Process(
            target=_run_job,
            args=(self._job_receiver, self._sender),
            name="gem-policy-training",
            daemon=True,
        )
        self._names = job.targets

    def start(self) -> None:
        self._process.start()
        self._sender.close()
        self._job_receiver.close()
        threading.Thread(target=self._send_job, name="gem-policy-training-job", daemon=True).start()

    def _send_job(self) -> None:
        try:
            self._job_sender.send_bytes(self._job)
        except OSError:
            pass  # the process ended before reading it: result() says how
        finally:
            self._job_sender.close()

    def result(self) -> dict[str, Any]:
        try:
            status, payload = self._receiver.recv()
        except EOFError:
            self._process.join()
            raise GraphRunError(
                f"The process training {', '.join(self._names)} ended without a result "
                f"(exit code {self._process.exitcode})."
            ) from None
        self._process.join()
        if status != "ok":
            raise GraphRunError(f"Training {', '.join(self._names)} in a second process failed:\n{payload}")
        return payload

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()
        self._receiver.close()


def _run_job(job_receiver: Connection, sender: Connection) -> None:
    """In the second process: run the job's nodes as Rasa's runner would, with Rasa's hooks."""
    # First, so that every thread started here (TensorFlow's too) inherits it.
    os.nice(HELPER_NICENESS)
    try:
        from rasa.utils.tensorflow import environment as tf_env

        # TensorFlow's threads from the same environment variables as in the parent.
        set_up_logging_like_rasa()
        tf_env.setup_tf_environment()
        tf_env.check_deterministic_ops()

        job: _Job = pickle.loads(job_receiver.recv_bytes())
        job_receiver.close()
        storage = LocalModelStorage(job.storage_path)
        hooks = _build_hooks(job.hooks, storage)
        graph: dict[str, Any] = {
            name: (
                GraphNode.from_schema_node(name, node, storage, job.execution_context, hooks),
                *node.needs.values(),
            )
            for name, node in job.nodes.items()
        }
        # Given outputs, the way Rasa gives the graph its inputs.
        graph.update({name: (name, output) for name, output in job.given.items()})
        sender.send(("ok", dict(dask.get(graph, job.targets))))
    except BaseException:  # noqa: BLE001 - everything goes back to the parent, which raises
        sender.send(("error", traceback.format_exc()))
    finally:
        sender.close()


def set_up_logging_like_rasa() -> None:
    """In a process started by this project's training: Rasa's logging, as ``rasa`` sets it
    up (rasa/__main__.py), at the level of the parent's environment (``LOG_LEVEL``)."""
    import rasa.utils.common
    import rasa.utils.io

    rasa.utils.common.configure_logging_and_warnings(warn_only_once=True, filter_repeated_logs=True)
    rasa.utils.io.configure_colored_logging(os.environ.get(ENV_LOG_LEVEL, DEFAULT_LOG_LEVEL))


def use_parallel_training() -> None:
    """Make ``rasa.model_training`` train with :class:`ParallelTrainingRunner`."""
    import rasa.model_training

    rasa.model_training.DaskGraphRunner = ParallelTrainingRunner  # type: ignore[misc]
