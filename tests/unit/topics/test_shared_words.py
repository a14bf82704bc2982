"""Shared label words are found from each corpus's own labels (document frequency across labels), no list."""

from deployments.topics.shared_words import clustering_text, is_generic, shared_words

# Labels a small model gave two corpora of different fields (written for the test, not from a corpus).
ART_LABELS = ["Abstract art", "Religious art", "Art history", "Street art", "Art criticism", "Ceramics",
              "Murals", "Impressionism", "Baroque sculpture", "Public art", "Art", "Art and History"]
COMPANY_LABELS = ["Company culture", "Company history", "Company policy", "Quarterly results", "Hiring",
                  "Office move", "Company events", "Remote work", "Product launch", "Company"]


def test_the_field_word_of_each_corpus_is_found_from_its_labels():
    assert shared_words(ART_LABELS) == {"art"}
    assert shared_words(COMPANY_LABELS) == {"company"}


def test_a_word_of_one_field_is_not_shared_in_the_other():
    # "history" is no field word of either corpus: "Company history" keeps it, apart from "Company culture"
    company = shared_words(COMPANY_LABELS)
    assert clustering_text("Company history", company) == "history"
    assert clustering_text("Company culture", company) == "culture"
    assert clustering_text("Art history", company) == "Art history"


def test_labels_of_only_shared_and_function_words_are_generic():
    art = shared_words(ART_LABELS)
    assert is_generic("Art", art) and is_generic("Art and the arts".replace("arts", "art"), art)
    assert not is_generic("Art history", art) and not is_generic("Company", art)
    company = shared_words(COMPANY_LABELS)
    assert is_generic("Company", company) and not is_generic("Art", company)


def test_clustering_text_drops_shared_and_function_words_and_keeps_a_bare_label():
    art = shared_words(ART_LABELS)
    assert clustering_text("Abstract art", art) == "Abstract"
    assert clustering_text("Art of the Northern Renaissance", art) == "Northern Renaissance"
    assert clustering_text("Art", art) == "Art"


def test_few_labels_share_nothing_and_the_floor_and_share_are_settings():
    assert shared_words(["Data science", "Data"]) == frozenset()  # below the 3-label floor
    assert shared_words(["Data science", "Data", "Big data"], min_labels=3) == {"data"}
    labels = [f"Topic {i} word" for i in range(20)] + ["Rare word"]
    assert shared_words(labels, min_share=0.5) == {"topic", "word"}
    assert shared_words(labels, min_share=1.0) == {"word"}
    assert shared_words([]) == frozenset()
