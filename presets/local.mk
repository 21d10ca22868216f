# presets: installed into $(presetdir); the first line of each is its description
dist_preset_DATA += presets/demo.yaml presets/fashion-mnist.yaml \
	presets/cifar10-first-order.yaml presets/cifar10-second-order.yaml presets/test.yaml \
	presets/train-test.yaml presets/train-fashion-mnist.yaml presets/train-cifar10.yaml \
	presets/rnn-test.yaml presets/rnn-kjv.yaml \
	presets/rnn-train-test.yaml presets/rnn-train-kjv.yaml presets/rnn-train-ptb.yaml \
	presets/demo-beta-darts.yaml presets/demo-sdarts.yaml \
	presets/demo-darts-minus.yaml presets/demo-fair-darts.yaml \
	presets/demo-pc-darts.yaml \
	presets/train-fashion-mnist-short.yaml
