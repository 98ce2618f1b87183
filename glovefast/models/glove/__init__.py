"""GloVe: the model and its Adagrad epoch (``model``), the training triples prepared in RAM or
shuffled on disk (``triples``) and the memory plan of a fit (``memory``)."""
