"""Settings of the TopicPipeline replica: defaults in code, overridden by serve_config.yaml `args.topics`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from deployments.llm.backend import LLMBackendSettings
from deployments.storage.database import StorageSettings
from deployments.topics.domain import Domain


class TopicSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    llm_backend: LLMBackendSettings = Field(
        default_factory=LLMBackendSettings, description="The in-cluster LLMServer (default) or an external endpoint."
    )

    domain: Domain = Field(default_factory=Domain, description="The labelling instruction and examples (neutral "
                           "by default; e.g. the contents of data/domains/art.yaml). A request's `domain` replaces it.")
    label_cache: bool = Field(True, description="Keep labels by (text, prompt, model) and label only texts not "
                              "seen before (the replica's memory, or the durable store when the app has one).")
    label_format: Literal["list", "json"] = Field(
        "list", description="How the LLM gives its labels: list (a numbered list, parsed from free text) or json (a "
        "JSON array of strings, constrained by a JSON Schema through structured_outputs; the token budget grows by "
        "4 per label for the brackets and quotes).")
    max_labels: int = Field(3, ge=1, le=10, description="Most topic labels the LLM proposes per document.")
    max_tokens: int = Field(24, ge=4, le=256, description="Token budget of one labelling completion.")
    max_text_chars: int = Field(600, ge=50, description="Document text is cut to this length in the prompt.")
    label_concurrency: int = Field(16, ge=1, le=256, description="Labelling requests in flight at once, per call.")
    label_timeout_s: float | None = Field(
        None, gt=0, description="Longest wait for one document's labels (queueing at the LLM included); past it that "
        "document is reported in `labelling_errors`. None: only the LLM's own request timeout bounds it."
    )
    shared_word_share: float = Field(
        0.1, ge=0.0, le=1.0, description="A word in at least this share of a corpus's distinct labels is shared "
        "(left out when labels are merged; a label made only of shared words makes no topic).")
    shared_word_min_labels: int = Field(3, ge=1, description="...and in at least this many labels.")
    merge_threshold: float = Field(
        0.7, ge=0.0, le=1.0, description="Cosine at or above which a label joins a canonical topic (near-duplicates)."
    )
    assign_min_documents: int = Field(
        2, ge=0, description="A document's primary topic is one at least this many documents share; a document "
        "with none gets the nearest such topic by text embedding (0: the first label's topic, unassigned).",
    )
    label_prior: float = Field(
        0.05, ge=0.0, le=2.0, description="Cosine bonus for a document's own topics when its primary topic is refined "
        "by text embedding (nearest document centroid): another topic must be this much nearer to win. 0: its text "
        "alone decides among the shared topics; 2: the primary is one of its own shared topics when it has one.",
    )
    grouping: Literal["labels", "documents"] = Field(
        "documents", description="How primary topics are formed: labels (a document's shared label topic, refined by "
        "text embedding) or documents (average-linkage clusters of the documents' text vectors plus their labels', "
        "each named by one of its members' label topics, see cluster_naming).")
    cluster_distance: float = Field(0.68, gt=0.0, le=2.0, description="grouping documents: cosine distance at which "
                                    "the clustering is cut (smaller: more, tighter topics).")
    cluster_max_share: float | None = Field(
        0.25, gt=0.0, le=1.0, description="grouping documents: when the cut at cluster_distance leaves one cluster "
        "holding more than this share of the documents (50 or more), the tree is cut again below it where the mean "
        "silhouette is highest, so a corpus of one field, whose documents are all close, still splits into topics "
        "(None: never).")
    cluster_label_weight: float = Field(0.2, ge=0.0, le=10.0, description="grouping documents: weight of a document's "
                                        "label vector against its text vector (0: the text alone).")
    cluster_naming: Literal["medoid", "cover"] = Field(
        "medoid", description="grouping documents: which of its members' label topics names a cluster: medoid (the "
        "one closest to the mean of all the topics its members carry) or cover (the one with the most support, each "
        "member voting with its best cosine to it).")
    own_topics: Literal["closer", "all"] = Field(
        "closer", description="grouping documents: which of a document's own label topics it keeps besides its "
        "cluster's topic: closer (those whose names are at least as close to its text as the cluster topic's name) "
        "or all.")
    min_topic_size: int = Field(
        2, ge=1, description="Topics of fewer documents fold into one \"Other\" group (listed last, no trend); a "
        "document keeps its raw labels. 1: every topic is listed.")
    name_merge_cosine: float = Field(
        0.5, ge=-1.0, le=1.0, description="Two topics given the same name merge when the cosine of their documents' "
        "mean text vectors is at least this; otherwise each gets a word of its own texts that tells it apart.")
    generalize_names: bool = Field(
        False, description="grouping documents: name each document cluster by a general category the LLM gives for "
        "its members' labels (the domain's generalize_instruction and generalize_examples), cached like labels; "
        "false: by one of its members' label topics (cluster_naming).")
    generalize_max_labels: int = Field(8, ge=1, le=50, description="Most distinct labels of a cluster shown to "
                                       "the LLM when it is named (most frequent first).")
    taxonomy_threshold: float = Field(
        0.45, ge=0.0, le=1.0, description="Cosine at or above which a topic maps onto a taxonomy category."
    )
    trend_method: Literal["changepoint", "zscore"] = Field(
        "changepoint", description="changepoint: a change in the topic's share anywhere in the range (exact test); "
        "zscore: the recent windows against the trailing baseline (misses a fade early in the range).")
    trend_alpha: float = Field(0.05, gt=0.0, lt=1.0, description="changepoint: significance level of a change, "
                               "after the Bonferroni correction over the quarter splits tried.")
    recent_windows: int | None = Field(
        None, ge=1, description="zscore: windows compared with the trailing baseline; None: a quarter of them "
        "(at least 1)."
    )
    z_threshold: float = Field(2.0, gt=0.0, description="zscore: |z| at or above which a topic is rising or fading.")
    min_new_count: int = Field(2, ge=1, description="Documents in the recent windows that make an unseen topic new.")
    max_documents: int = Field(2000, ge=1, description="Most documents in one synchronous request (413 above, "
                               "naming POST /v1/topics/jobs).")
    storage: StorageSettings | None = Field(
        None, description="The database of the label cache and the jobs (as the DocumentStore's `storage`); None: "
        "the replica's memory, so labels and jobs are lost with the replica.")
    job_max_documents: int = Field(100_000, ge=1, description="Most documents in one job (413 above).")
    job_chunk: int = Field(32, ge=1, le=10_000, description="Documents per labelled batch of a job; its progress is "
                           "written after each batch.")
    job_in_flight: int = Field(2, ge=1, le=64, description="Labelling batches a job keeps in flight through the "
                               "TopicPipeline deployment (Ray Data actors, on a Serve replica).")
    job_stale_s: float = Field(30.0, gt=0, description="A running job whose heartbeat is older than this is taken "
                               "over by another replica (its replica died); the labelling resumes from the cache.")
    job_poll_s: float = Field(5.0, gt=0, description="How often a replica looks for stale jobs.")
    chart_topics: int = Field(8, ge=1, le=30, description="Most topics drawn on the chart (largest first).")
    experiment_models: dict[str, LLMBackendSettings] = Field(
        default_factory=dict, description="External OpenAI-compatible endpoints an experiment may name in `models`, "
        "by name (`kind: openai`); the app's extra LLMServer deployments are available without listing them."
    )
    experiment_max_documents: int = Field(200, ge=1, description="Most documents in one experiment (413 above).")
    experiment_max_cells: int = Field(16, ge=1, description="Most prompt x model x temperature cells in one experiment.")

    @model_validator(mode="after")
    def _external_models(self) -> "TopicSettings":
        for name, backend in self.experiment_models.items():
            if backend.kind != "openai":
                raise ValueError(f"experiment_models '{name}': kind must be 'openai' (extra LLMServer deployments "
                                 "are listed in extra_llms)")
        return self
