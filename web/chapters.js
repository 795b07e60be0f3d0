// The page as a lesson: the lecture's chapters in its order, each a few sentences (the lecture's own words
// where it has them), the panels that show it and a "try this". A chapter is reachable from the table of
// contents and by a link (#v=1&chapter=linear), so a lecturer can project or embed one. Panels are named as
// in panels/index.js; the Model section is always there.

export const CHAPTERS = [
  {
    id: 'what',
    title: 'What an autoencoder is',
    text: ['Neural networks trained to copy their input to their output. An encoder maps the input to a hidden representation, the code; a decoder maps the code back. Given an image (for MNIST, a handwritten number), the encoder squeezes it into a code much smaller than its pixels, and the decoder rebuilds the image from it. Training lowers the reconstruction error.',
      'An autoencoder is an example of self-supervised learning: it is sort of supervised, because it gets an explicit goal (the output should be the input), and sort of not, because nobody labelled anything.'],
    panels: ['loss', 'network', 'recon'],
    tryThis: 'With the Simple preset, press Start and watch the bottom row of reconstructions sharpen while the loss falls. Step trains a single batch: even the first few change the reconstructions.',
  },
  {
    id: 'bottleneck',
    title: 'The bottleneck',
    text: ['The code is a bottleneck: 784 pixels in, 32 numbers in the middle, 784 out again (the lecture\'s example: 10,000 elements, 20 in the middle, 10,000 again). Everything the decoder rebuilds must pass through it, so the encoder has to keep what matters about the digits and drop the rest.',
      'With a 2-number code the codes themselves can be drawn: similar digits land near each other, and any point of the map decodes to an image.'],
    panels: ['loss', 'network', 'recon', 'latent', 'filters', 'data'],
    tryThis: 'Choose the Bottleneck preset: the lecture\'s own 10,000 → 20 → 10,000, on the digits drawn at 100×100 (or on your own pictures, from the Data panel). Press Start and watch 20 numbers rebuild 10,000 pixels, blurred but recognisable. Then the 2-D code preset: in the latent map, click between two clusters to decode a digit that is half one, half the other.',
  },
  {
    id: 'linear',
    title: 'Linear vs non-linear',
    text: ['Mapping data from 4 dimensions to 2 with one linear hidden layer gives a linear autoencoder. It works when the data lie on a flat surface: it finds the same subspace as principal component analysis (PCA). If the data lie on a curved surface, a non-linear autoencoder is needed; for highly non-linear data, more hidden layers: a deep autoencoder.'],
    panels: ['fourd', 'linear', 'recon'],
    tryThis: 'In 4 dimensions to 2, press Train all four: the linear model is exact on the plane and leaves about 30% of the variance on the surface, where the non-linear one follows the bend. In Linear or non-linear?, Train both on a curve in the plane. Then compare the Linear preset\'s blurry digits with the Simple preset\'s (compare the pictures, not the test losses: the linear one\'s is squared error, the other\'s cross-entropy).',
  },
  {
    id: 'deep',
    title: 'Simple, deep and convolutional',
    text: ['For a better representation we can add units to a layer or go deeper: more layers, narrowing to the code step by step. Convolutional autoencoders keep the image\'s layout: small filters slide over the image, pooling shrinks it to a code of a few small maps, and upsampling or transposed convolutions grow it back.'],
    panels: ['network', 'recon', 'features', 'filters', 'loss'],
    tryThis: 'Train the Deep preset and compare its test loss with Simple\'s at the same 32-number code: after 5 epochs they are close (the Keras blog\'s longer runs reach about 0.08 deep against 0.09 simple). Then the Convolutional (W3) preset: the Network panel shows 1×28×28 shrink to 8×4×4 and grow back, and Feature maps shows what every layer makes of one digit.',
  },
  {
    id: 'complete',
    title: 'Undercomplete and overcomplete',
    text: ['So far the code was smaller than the input: an undercomplete autoencoder. When it is as large or larger, the autoencoder is overcomplete, and nothing forces it to learn anything but a copy: then it rebuilds noise, not only digits. The ideal autoencoder is sensitive enough to the inputs to rebuild them accurately, and insensitive enough not to simply memorise or overfit the training data; a penalty on the code (sparsity) or noise during training (denoising) makes an overcomplete one copy far less.'],
    panels: ['overcomplete', 'recon', 'filters', 'loss', 'noise', 'memorise'],
    tryThis: 'In Undercomplete or overcomplete, press Train all four (about a minute): the plain overcomplete model rebuilds noise it never saw nearly perfectly, below the undercomplete model\'s error on digits, while the undercomplete, sparse and denoising ones rebuild it far worse. Those four are linear: the Overcomplete preset (784-1000-784 with ReLU and a sigmoid output) learns the copy much more slowly and passes only about a third of the noise through after a run as long, though its test loss is already lower than Simple\'s (784-32-784): a low loss says little about what a model learned. Then the Sparse code preset, a penalty that keeps most of the code at zero; and in Sensitive, not memorising, train a model on 300 digits and watch its test loss turn up while its training loss keeps falling.',
  },
  {
    id: 'denoising',
    title: 'Denoising, infilling and blending',
    text: ['A denoising autoencoder receives a corrupted data point as input and is trained to predict the original, uncorrupted one: every epoch sees each digit corrupted afresh. The same model fills in what was erased, and blending two inputs through their codes shows what the code has learned.'],
    panels: ['noise', 'infill', 'blend', 'draw', 'recon'],
    tryThis: 'Train Plain twin of Denoising, press Keep this model for comparison, then train the Denoising preset and move the noise slider. Erase part of a digit in Infilling; blend two digits through the code.',
  },
  {
    id: 'pretraining',
    title: 'Autoencoders as pretraining',
    text: ['Autoencoders could be used to pretrain neural networks, because training very deep networks from random weights is difficult: the gradients in the lower and higher layers differ in size. Train the layers one at a time as autoencoders on unlabelled images, then the last layer on the labels, then the whole network by backpropagation.'],
    panels: ['pretrain'],
    modelAfter: true, // the pretraining panel has its own model and buttons: the autoencoder's form goes below it
    tryThis: 'Press Step to pretrain layer 1 and look at its reconstructions and filters; Step again for layer 2; then Run the rest and read the table, the gap and the gradients. Switch to the historical setting and Replay. In this minute-long run the baseline often ties or wins: pretraining paid off with the deeper networks and far longer training of the 2006-2010 papers, and the table reports what this run shows.',
  },
];

export const chapterById = (id) => CHAPTERS.find((c) => c.id === id) ?? null;
