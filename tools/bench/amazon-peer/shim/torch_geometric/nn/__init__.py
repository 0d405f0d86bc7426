from . import inits  # noqa: F401  (torch_geometric.nn.inits.uniform)
