"""A C8-equivariant MNIST classifier written against escnn's documented API (its MNIST example's layout)."""
import torch

from escnn import gspaces, nn


class C8SteerableCNN(torch.nn.Module):
    def __init__(self, n_classes: int = 10) -> None:
        super().__init__()
        self.r2_act = gspaces.rot2dOnR2(N=8)
        in_type = nn.FieldType(self.r2_act, [self.r2_act.trivial_repr])
        self.input_type = in_type
        out_type = nn.FieldType(self.r2_act, 4 * [self.r2_act.regular_repr])
        self.block1 = nn.SequentialModule(
            nn.MaskModule(in_type, 29, margin=1),
            nn.R2Conv(in_type, out_type, kernel_size=7, padding=1, bias=False),
            nn.InnerBatchNorm(out_type),
            nn.ReLU(out_type, inplace=True),
        )
        in_type = self.block1.out_type
        out_type = nn.FieldType(self.r2_act, 8 * [self.r2_act.regular_repr])
        self.block2 = nn.SequentialModule(
            nn.R2Conv(in_type, out_type, kernel_size=5, padding=2, bias=False),
            nn.InnerBatchNorm(out_type),
            nn.ReLU(out_type, inplace=True),
        )
        self.pool1 = nn.SequentialModule(nn.PointwiseAvgPoolAntialiased(out_type, sigma=0.66, stride=2))
        in_type = self.block2.out_type
        out_type = nn.FieldType(self.r2_act, 8 * [self.r2_act.regular_repr])
        self.block3 = nn.SequentialModule(
            nn.R2Conv(in_type, out_type, kernel_size=5, padding=2, bias=False),
            nn.InnerBatchNorm(out_type),
            nn.ReLU(out_type, inplace=True),
        )
        self.pool2 = nn.PointwiseAvgPoolAntialiased(out_type, sigma=0.66, stride=1, padding=0)
        self.gpool = nn.GroupPooling(out_type)
        c = self.gpool.out_type.size
        self.fully_net = torch.nn.Sequential(
            torch.nn.BatchNorm1d(c), torch.nn.ELU(inplace=True), torch.nn.Linear(c, n_classes),
        )

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        x = nn.GeometricTensor(input, self.input_type)
        x = self.block1(x)
        x = self.block2(x)
        x = self.pool1(x)
        x = self.block3(x)
        x = self.pool2(x)
        x = self.gpool(x)
        x = x.tensor
        x = x.mean(dim=(2, 3))
        return self.fully_net(x)
