<?php

namespace App\Models\Concerns;

use App\Models\User;
use Illuminate\Database\Eloquent\Relations\BelongsTo;

trait HasDeleter
{
    public function deleter(): BelongsTo
    {
        return $this->belongsTo(User::class, 'deleted_by');
    }

    // $this is a row of each model that uses the trait
    public function markDeleted(int $userId): void
    {
        $this->deleted_by = $userId;
    }
}
