# torch_geometric.nn.inits.uniform as PyG defines it (MMRec's MMGCN BaseModel.reset_parameters).
import math
def uniform(size, value):
    if value is not None:
        bound = 1.0 / math.sqrt(size)
        value.data.uniform_(-bound, bound)
