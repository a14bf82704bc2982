"""The Agent deployment: a ReAct loop over the document tools, plus the classic loop to compare with."""
