# Minimal MessagePassing for MMRec's DualGNN/MMGCN Base_gcn ('add' or 'mean' aggregation,
# flow source_to_target: messages x_j = x[edge_index[0]] summed at edge_index[1]).
import torch
class MessagePassing(torch.nn.Module):
    def __init__(self, aggr='add', **kwargs):
        super().__init__()
        self.aggr = aggr
    def propagate(self, edge_index, size=None, x=None, **kw):
        row, col = edge_index[0], edge_index[1]
        x_j = x[row]
        msg = self.message(x_j, edge_index, size)
        out = torch.zeros(size[1] if size else x.size(0), msg.size(1), dtype=msg.dtype)
        out.index_add_(0, col, msg)
        if self.aggr == 'mean':
            cnt = torch.zeros(out.size(0), dtype=msg.dtype).index_add_(0, col, torch.ones_like(col, dtype=msg.dtype))
            out = out / cnt.clamp(min=1).unsqueeze(1)
        return self.update(out)
