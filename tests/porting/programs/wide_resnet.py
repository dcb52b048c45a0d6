"""A D8-equivariant Wide ResNet in the layout of escnn's example (init from escnn.nn.init, FieldDropout)."""
import math

import torch

from escnn import gspaces, nn
from escnn.nn import init


def conv3x3(in_type: nn.FieldType, out_type: nn.FieldType, stride: int = 1) -> nn.R2Conv:
    return nn.R2Conv(in_type, out_type, 3, stride=stride, padding=1, bias=False, sigma=None,
                     frequencies_cutoff=lambda r: 3 * r, initialize=False)


class WideBasic(nn.EquivariantModule):
    def __init__(self, in_type: nn.FieldType, inner_type: nn.FieldType, dropout_rate: float, stride: int = 1,
                 out_type: nn.FieldType | None = None) -> None:
        super().__init__()
        out_type = in_type if out_type is None else out_type
        self.in_type, self.out_type = in_type, out_type
        self.bn1 = nn.InnerBatchNorm(in_type)
        self.relu1 = nn.ReLU(in_type, inplace=True)
        self.conv1 = conv3x3(in_type, inner_type)
        self.bn2 = nn.InnerBatchNorm(inner_type)
        self.relu2 = nn.ReLU(inner_type, inplace=True)
        self.dropout = nn.PointwiseDropout(inner_type, p=dropout_rate)
        self.conv2 = conv3x3(inner_type, out_type, stride=stride)
        self.shortcut = None
        if stride != 1 or in_type != out_type:
            self.shortcut = nn.R2Conv(in_type, out_type, kernel_size=1, stride=stride, bias=False, initialize=False)

    def forward(self, x: nn.GeometricTensor) -> nn.GeometricTensor:
        x_n = self.relu1(self.bn1(x))
        out = self.relu2(self.bn2(self.conv1(x_n)))
        out = self.conv2(self.dropout(out))
        return out + (x if self.shortcut is None else self.shortcut(x_n))

    def evaluate_output_shape(self, input_shape: tuple) -> tuple:
        return self.conv2.evaluate_output_shape(self.conv1.evaluate_output_shape(input_shape))


class Wide_ResNet(torch.nn.Module):
    def __init__(self, depth: int = 10, widen_factor: int = 1, dropout_rate: float = 0.1, num_classes: int = 10, N: int = 8) -> None:
        super().__init__()
        n = (depth - 4) // 6
        widths = [16, 16 * widen_factor, 32 * widen_factor, 64 * widen_factor]
        self.gspace = gspaces.flipRot2dOnR2(N)
        self.in_type = nn.FieldType(self.gspace, [self.gspace.trivial_repr] * 3)

        def regular(planes: int) -> nn.FieldType:
            return nn.FieldType(self.gspace, [self.gspace.regular_repr] * max(1, planes // (2 * N)))

        t = regular(widths[0])
        self.conv1 = conv3x3(self.in_type, t)
        layers = []
        for i, stride in ((1, 1), (2, 2), (3, 2)):
            for k in range(n):
                out = regular(widths[i])
                layers.append(WideBasic(t, out, dropout_rate, stride if k == 0 else 1, out_type=out))
                t = out
        self.layers = nn.SequentialModule(*layers)
        self.bn = nn.InnerBatchNorm(t)
        self.relu = nn.ReLU(t, inplace=True)
        self.pool = nn.GroupPooling(t)
        self.linear = torch.nn.Linear(self.pool.out_type.size, num_classes)
        for m in self.modules():
            if isinstance(m, nn.R2Conv):
                init.deltaorthonormal_init(m.weights.data, m.basisexpansion)
            elif isinstance(m, torch.nn.Linear):
                torch.nn.init.kaiming_normal_(m.weight, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.in_type(x)
        x = self.relu(self.bn(self.layers(self.conv1(x))))
        x = self.pool(x).tensor
        return self.linear(x.mean(dim=(2, 3)))
