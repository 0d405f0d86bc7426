import torch
def remove_self_loops(edge_index, edge_attr=None):
    mask = edge_index[0] != edge_index[1]
    return edge_index[:, mask], edge_attr
def add_self_loops(edge_index, edge_weight=None, num_nodes=None):
    n = num_nodes
    loop = torch.arange(n).unsqueeze(0).repeat(2, 1)
    return torch.cat([edge_index, loop], 1), edge_weight
def degree(index, num_nodes=None, dtype=None):
    out = torch.zeros(num_nodes, dtype=dtype)
    return out.index_add_(0, index, torch.ones(index.size(0), dtype=dtype))
