"""Settings of the Agent replica."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from deployments.llm.backend import LLMBackendSettings


class AgentSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    llm_backend: LLMBackendSettings = Field(
        default_factory=LLMBackendSettings, description="The in-cluster LLMServer (default) or an external endpoint."
    )

    default_max_steps: int = Field(6, ge=1, description="Steps when a request gives no max_steps.")
    max_steps_limit: int = Field(12, ge=1, description="Largest max_steps a request may ask for.")
    thought_tokens: int = Field(24, ge=1, le=256, description="Most tokens of one Thought.")
    input_tokens: int = Field(32, ge=1, le=256, description="Most tokens of one Action Input or answer.")
    classic_max_tokens: int = Field(128, ge=1, le=1024, description="Most tokens per step of the naive loop.")
    grounded_answers: bool = Field(
        True, description="Constrained inputs and answers: a search query is a span of the question, a calculator "
        "expression uses numbers seen, a final answer is a span of an observation or a calculator result. "
        "False: the model writes them freely.",
    )
    max_span_words: int = Field(6, ge=1, le=20, description="Longest span of the question (in words) the plan step "
                                "tries as the name of a document.")
    choice_tokens: int = Field(48, ge=1, le=256, description="Most tokens of one constrained input or answer.")
    plan_lookups: int = Field(
        3, ge=0, le=8, description="The plan step: before the loop, search each document the question names (a span "
        "its best keyword hit holds as written, rare in the corpus), at most this many; 0: no plan step.")
    plan_k: int = Field(5, ge=2, le=50, description="Keyword hits the plan step checks per span of the question.")
    max_observation_chars: int = Field(800, ge=50, description="An observation is cut to this many characters.")
    resolve_first: bool = Field(
        True, description="Before the model loop, answer from the question's structure when it suffices (resolve.py): "
        "arithmetic stated in words is parsed and computed; the question's word runs and quoted text are matched "
        "against the stored documents, and the answer is the value whose context best matches the question's other "
        "words (two named documents and one operation word: their values combined). Otherwise the loop runs.")
    name_index_ttl_s: float = Field(
        30.0, gt=0, description="The agent's copy of the stored documents (for matching names) is read again when "
        "the store's count changes or it is older than this.")
    name_index_max_documents: int = Field(
        20000, ge=0, description="Past this many stored documents the agent keeps no copy of them: names are then "
        "found by the model's searches only (the resolver still parses arithmetic).")

    # --- guards (guards.py): each one switched by its own setting ---
    guard_answer_needs_observation: bool = Field(True, description="No Final Answer before anything is observed.")
    guard_repeated_action: bool = Field(
        True, description="A repeated action and input ends the run with a grounded answer (stop_reason repeated_action).")
    guard_new_inputs_only: bool = Field(
        True, description="Inputs already used with an action are not offered again (the next search looks up something else).")
    guard_seen_numbers_only: bool = Field(
        True, description="A calculator input with a number neither the question nor an observation holds is refused.")
    guard_answer_not_in_question: bool = Field(
        True, description="Final-answer candidates the question itself states are not offered.")
    guard_combine_before_answer: bool = Field(
        True, description="When two documents the plan step looked up label a number with the same word of the "
        "question (one the spans naming them do not hold), the calculator comes next, its input is one such number "
        "of each document with a free operator, and the answer is its result.")
    guard_answer_from_named_documents: bool = Field(
        True, description="When the plan step named documents, the final answer is a span of them or a calculation.")
    guard_answer_beside_label: bool = Field(
        True, description="When the plan named one document that holds a phrase of the question away from the name, "
        "the final answer is a span of the words beside that phrase.")
    guard_question_numbers_once: bool = Field(
        True, description="A question stating 2-4 numbers and naming fewer than two documents: the calculator "
        "uses each of its numbers exactly once, and when the plan named nothing it is the first action.")
    guard_combine_stated_with_named: bool = Field(
        True, description="When the plan named one document and the question states one number that document does "
        "not hold, the calculator comes next, combining that number with a number the document labels with a word "
        "of the question, and the answer is its result.")
    guard_operator_from_words: bool = Field(
        True, description="When the question's words name one arithmetic operation (the language file's operator "
        "words: \"minus\", \"more ... than\", \"multiplied by\"), the calculator's grammar offers only that operator; "
        "a comparison writes the larger value first, \"subtract A from B\" is B - A.")
    language_file: str | None = Field(
        None, description="The language file (YAML: operator words, operand-order phrases, kind words, stop words) "
        "the guards and the plan step read; None: the bundled English data/lang/en.yaml.")
    search_k: int = Field(1, ge=1, le=20, description="Documents the search tool shows; 1 suits a 135M model best (fewer numbers to confuse).")
    max_question_chars: int = Field(1000, ge=1)

    # --- self-consistency (`samples` > 1): n sampled runs, the majority answer ---
    max_samples: int = Field(8, ge=1, le=64, description="Largest `samples` a request may ask for.")
    sample_temperature: float = Field(
        0.3, gt=0.0, le=2.0,
        description="Sampling temperature of each run when samples > 1 (run i uses seed i). Low because the 135M "
        "default model degrades fast when sampled: on 3 QA questions, samples=3 got 0/3 right at 0.7, 2/3 at 0.3 "
        "(greedy: 2/3); re-measure with bench/agent_eval.py --samples for another model.",
    )
    sample_concurrency: int = Field(
        8, ge=1, description="Most runs of one request at once; the LLMServer batches their calls together."
    )
    sample_timeout_s: float | None = Field(
        600.0, gt=0, description="Past this a run is cancelled and reported as failed (504); None: no bound."
    )
